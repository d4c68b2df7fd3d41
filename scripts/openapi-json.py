#!/usr/bin/python3
"""Build step: docs/openapi.yaml (the one source) -> a C file holding it as
compact JSON, compiled into nsjudge-api and served at GET /openapi.json.
Usage: scripts/openapi-json.py docs/openapi.yaml > build/gen/openapi_json.c"""
import json
import sys

import yaml

class StrictLoader(yaml.SafeLoader):
    """A SafeLoader that refuses a key given twice (PyYAML keeps the last)."""


def no_duplicates(loader, node, deep=False):
    keys = [loader.construct_object(k, deep=deep) for k, _ in node.value]
    dup = {k for k in keys if keys.count(k) > 1}
    if dup:
        raise yaml.constructor.ConstructorError(None, None, f"duplicate key(s) {sorted(map(str, dup))}",
                                                node.start_mark)
    return loader.construct_mapping(node, deep)


StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, no_duplicates)

with open(sys.argv[1], encoding="utf-8") as f:
    doc = yaml.load(f, Loader=StrictLoader)
if not isinstance(doc, dict) or not str(doc.get("openapi", "")).startswith("3.1"):
    sys.exit(f"{sys.argv[1]}: not an OpenAPI 3.1 document")
text = json.dumps(doc, separators=(",", ":"), ensure_ascii=True)
print("/* Generated from docs/openapi.yaml by scripts/openapi-json.py: do not edit. */")
print('#include "api/openapi.h"')
print("const char api_openapi_json[] =")
for i in range(0, len(text), 100):
    chunk = text[i:i + 100].replace("\\", "\\\\").replace('"', '\\"')
    print(f'    "{chunk}"')
print(";")
print(f"const size_t api_openapi_json_len = {len(text)};")
