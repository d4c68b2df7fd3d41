// expect: memory_limit
// limits: --memory 128m
// A heap bomb of Buffers (zero-filled, so every page is charged; outside
// V8's old space, so --max-old-space-size does not stop it first): the
// cgroup's OOM kill.
const blocks = [];
for (;;) blocks.push(Buffer.alloc(1 << 20, 1));
