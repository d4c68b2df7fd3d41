// expect: passed
// want: hello, world
console.log("hello, world");
