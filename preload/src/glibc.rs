//! glibc's allocator by its `__libc_*` names: what an interposer forwards
//! to when it stands in front of glibc. These names are glibc's exported
//! aliases of its own malloc family; an interposed `malloc` does not
//! shadow them.

use libc::{c_void, size_t};

extern "C" {
    pub fn __libc_malloc(size: size_t) -> *mut c_void;
    pub fn __libc_free(ptr: *mut c_void);
    pub fn __libc_calloc(n: size_t, size: size_t) -> *mut c_void;
    pub fn __libc_realloc(ptr: *mut c_void, size: size_t) -> *mut c_void;
    pub fn __libc_memalign(align: size_t, size: size_t) -> *mut c_void;
    pub fn __libc_valloc(size: size_t) -> *mut c_void;
    pub fn __libc_pvalloc(size: size_t) -> *mut c_void;
}
