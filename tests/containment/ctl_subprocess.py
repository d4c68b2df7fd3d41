# family: control
# attack: none: start a child interpreter from the rootfs with subprocess and read its output
# expect: ok
# output: child said 42
import subprocess, sys

r = subprocess.run([sys.executable, "-c", "print(6 * 7)"], capture_output=True, text=True, timeout=10)
print(f"child said {r.stdout.strip()}")
