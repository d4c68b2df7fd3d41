# family: side-channel
# attack: copy 1 leaves hundreds of fds in flight on a socketpair (counted per host uid against RLIMIT_NOFILE) while copy 0 passes one fd; both must start and copy 0's send must work
# expect: ok
# pair: yes
import array, socket, sys, time

role = sys.stdin.readline().strip()
a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
if role == "1":
    n = 0
    try:
        for _ in range(1000):
            a.sendmsg([b"x"], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", [b.fileno()] * 64))])
            n += 64
    except OSError as e:
        print("copy 1 stopped after", n, "fds in flight:", e.strerror)
    time.sleep(1.5)
else:
    time.sleep(0.4)
    try:
        a.sendmsg([b"x"], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", [b.fileno()]))])
        print("copy 0 passed an fd")
    except OSError as e:
        print("ESCAPED copy 1's fds in flight made copy 0's send fail:", e.strerror)
