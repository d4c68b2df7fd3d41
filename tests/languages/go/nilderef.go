// expect: runtime_error
// exit: 2
// A nil dereference: the Go runtime turns the SIGSEGV into a panic and
// exits with 2 (a Go program does not die by the signal itself).
package main

import "fmt"

type T struct{ x int }

func main() {
	var p *T
	fmt.Println(p.x)
}
