// expect: passed
// stdin: one\ntwo words\n\nthree\n
// want: one\ntwo words\n\nthree
process.stdout.write(require("fs").readFileSync(0, "utf8"));
