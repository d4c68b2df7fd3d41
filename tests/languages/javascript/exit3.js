// expect: runtime_error
// exit: 3
process.exit(3);
