# family: privilege
# attack: unshare(CLONE_NEWUSER) to become root with full capabilities in a new user namespace, then mount
# expect: ok
import ctypes, os

libc = ctypes.CDLL(None, use_errno=True)
CLONE_NEWUSER, CLONE_NEWNS = 0x10000000, 0x00020000
for what, flags in (("CLONE_NEWUSER", CLONE_NEWUSER), ("CLONE_NEWUSER|CLONE_NEWNS", CLONE_NEWUSER | CLONE_NEWNS)):
    if libc.unshare(flags) == 0:
        print(f"ESCAPED unshare({what}) succeeded")
        with open("/proc/self/status") as f:
            print([l.strip() for l in f if l.startswith("CapEff")])
        try:
            with open("/proc/self/uid_map", "w") as f:
                f.write("0 1000 1\n")
            print("ESCAPED mapped uid 0 in the new user namespace, uid now", os.getuid())
        except OSError as e:
            print("uid_map:", e.strerror)
        if libc.mount(b"none", b"/tmp", b"tmpfs", 0, None) == 0:
            print("ESCAPED mounted a tmpfs in the new namespaces")
        break
    print(f"unshare({what}): {os.strerror(ctypes.get_errno())}")
try:
    with open("/proc/sys/user/max_user_namespaces") as f:
        print("max_user_namespaces:", f.read().strip())
except OSError as e:
    print("max_user_namespaces:", e.strerror)
