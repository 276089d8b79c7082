package main

import "testing"

// TestDemo runs the whole demo, as `make demo` does, so that a change that breaks it fails the
// tests. Its output shows with -v.
func TestDemo(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("the demo takes a few seconds")
	}
	if err := run(t.TempDir()); err != nil {
		t.Fatal(err)
	}
}
