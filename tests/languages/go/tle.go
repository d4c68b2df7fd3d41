// expect: time_limit
// limits: --time 1 --wall 3
package main

var n uint64

func main() {
	for {
		n++
	}
}
