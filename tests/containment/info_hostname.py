# family: information
# attack: learn the host's name (uname, /proc/sys/kernel/hostname, gethostname)
# expect: ok
import os, socket

names = {"uname": os.uname().nodename, "gethostname": socket.gethostname()}
try:
    with open("/proc/sys/kernel/hostname") as f:
        names["/proc/sys/kernel/hostname"] = f.read().strip()
except OSError as e:
    print("/proc/sys/kernel/hostname:", e.strerror)
try:
    with open("/proc/sys/kernel/domainname") as f:
        print("domainname:", f.read().strip())
except OSError as e:
    print("domainname:", e.strerror)
for src, name in names.items():
    print(f"{src}: {name}")
    if name != "sandbox":
        print(f"ESCAPED {src} gives {name!r}, not the sandbox's own name")
