// expect: compile_error
// Not package main: go build writes a package archive, not a program.
// The submission's fault (compile_error), never internal_error.
package solution

func Add(a, b int) int { return a + b }
