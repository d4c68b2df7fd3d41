// expect: failed
// stdin: 3 4\n
// want: 7
package main

import "fmt"

func main() {
	var a, b int64
	fmt.Scan(&a, &b)
	fmt.Println(a - b)
}
