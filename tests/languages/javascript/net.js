// expect: ok
// stdout: net=blocked
// Only lo exists in the sandbox's network namespace: no route out, and
// nothing listens on its own loopback (the host's is another namespace).
const net = require("net");

function reachable(host, port) {
    return new Promise((resolve) => {
        const s = net.connect({ host, port });
        s.setTimeout(1000, () => { s.destroy(); resolve(false); });
        s.on("connect", () => { s.destroy(); resolve(true); });
        s.on("error", () => resolve(false));
    });
}

(async () => {
    const targets = [["1.1.1.1", 53], ["127.0.0.1", 22], ["127.0.0.1", 80], ["127.0.0.1", 5432]];
    const open = (await Promise.all(targets.map(([h, p]) => reachable(h, p)))).some((x) => x);
    console.log("net=" + (open ? "open" : "blocked"));
})();
