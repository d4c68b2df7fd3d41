#!/usr/bin/python3
"""Parse Prometheus text (stdin) with the reference parser (prometheus_client)
and print one line per sample: name{labels} value, labels sorted. Exit 1 with
the parser's message when the text does not parse."""
import sys

from prometheus_client.parser import text_string_to_metric_families

try:
    for fam in text_string_to_metric_families(sys.stdin.read()):
        for s in fam.samples:
            labels = ",".join(f'{k}="{v}"' for k, v in sorted(s.labels.items()))
            print(f"{s.name}{{{labels}}} {s.value:g}")
except Exception as e:  # the parser raises ValueError and others
    print(f"promcheck: not the Prometheus text format: {e}", file=sys.stderr)
    sys.exit(1)
