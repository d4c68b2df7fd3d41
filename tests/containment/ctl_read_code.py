# family: control
# attack: none: read its own source relative to the working directory /code
# expect: ok
# output: read main.py from /code: marker found
import os  # ctl-read-code-marker

with open("main.py") as f:
    src = f.read()
found = "ctl-read-code-marker" in src
print(f"read main.py from {os.getcwd()}: {'marker found' if found else 'marker missing'}")
