# family: side-channel
# attack: two concurrent runs pass a token through /dev/shm
# expect: ok
# pair: yes
import os, sys, time

role = sys.stdin.readline().strip()
token = "/dev/shm/nsjudge-corpus-token"
if role == "0":
    with open(token, "w") as f:
        f.write("secret")
    time.sleep(1.5)
else:
    deadline = time.time() + 1.5
    while time.time() < deadline:
        if os.path.exists(token):
            print("ESCAPED saw the other run's /dev/shm file")
            break
        time.sleep(0.05)
    else:
        print("no token seen")
