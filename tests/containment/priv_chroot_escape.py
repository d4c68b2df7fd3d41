# family: privilege
# attack: the chroot escape (chroot into a subdirectory, chdir .. repeatedly, chroot .): must fail at chroot
# expect: ok
import os

HOST_ONLY = ["/work", "/root", "/etc/shadow", "/home", "/var/lib", "/usr/bin/gcc", "/bin/sh"]
os.makedirs("/tmp/jail/inner", exist_ok=True)
keep = os.open("/", os.O_RDONLY)
try:
    os.chroot("/tmp/jail")
except OSError as e:
    print(f"chroot /tmp/jail: {e.__class__.__name__} {e.strerror}")
else:
    print("ESCAPED chroot succeeded (CAP_SYS_CHROOT)")
    os.fchdir(keep)
    for _ in range(64):
        os.chdir("..")
    os.chroot(".")
    print("after the escape, / holds:", sorted(os.listdir("/")))
    for p in HOST_ONLY:
        if os.path.lexists(p):
            print(f"ESCAPED host path visible after the chroot escape: {p}")
