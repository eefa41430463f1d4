import json
docs = [{"id": i, "name": f"user{i}", "tags": ["a", "b", str(i % 7)], "score": i * 0.5,
         "nested": {"x": i, "y": [i, i + 1]}} for i in range(20_000)]
text = json.dumps(docs)
back = json.loads(text)
assert len(back) == len(docs)
