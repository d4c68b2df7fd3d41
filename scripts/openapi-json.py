#!/usr/bin/python3
"""Build step: docs/openapi.yaml (the one source) -> a C file holding it as
compact JSON, compiled into nsjudge-api and served at GET /openapi.json.
Usage: scripts/openapi-json.py docs/openapi.yaml > build/gen/openapi_json.c"""
import json
import sys

import yaml

with open(sys.argv[1], encoding="utf-8") as f:
    doc = yaml.safe_load(f)
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
