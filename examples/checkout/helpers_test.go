package checkout_test

import "os"

// pathEnv is the test process's PATH, for the scripts it runs with an otherwise empty
// environment.
func pathEnv() string { return os.Getenv("PATH") }
