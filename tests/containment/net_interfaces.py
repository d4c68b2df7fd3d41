# family: network
# attack: list the network interfaces and routes (only lo may exist)
# expect: ok
import os, socket

try:
    names = [n for _, n in socket.if_nameindex()]  # netlink: a refused family
except OSError as e:
    print("if_nameindex:", e.strerror)
    names = ["lo"]
print("if_nameindex:", names)
for n in names:
    if n != "lo":
        print(f"ESCAPED interface {n} is visible")
with open("/proc/net/dev") as f:
    devs = [line.split(":")[0].strip() for line in f.readlines()[2:]]
print("/proc/net/dev:", devs)
for n in devs:
    if n != "lo" and n not in names:
        print(f"ESCAPED /proc/net/dev lists {n}")
with open("/proc/net/route") as f:
    routes = f.readlines()[1:]
print("IPv4 routes:", len(routes))
for r in routes:
    print(f"ESCAPED route: {r.strip()}")
try:
    with open("/proc/net/if_inet6") as f:
        for line in f:
            if line.split()[-1] != "lo":
                print(f"ESCAPED IPv6 address on {line.split()[-1]}")
except OSError as e:
    print("/proc/net/if_inet6:", e.strerror)
