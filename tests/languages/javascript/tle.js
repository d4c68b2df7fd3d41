// expect: time_limit
// limits: --time 1 --wall 3
for (;;) {}
