package awstest

import (
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"
)

// SerializingProxy starts a reverse proxy to the endpoint that makes the DynamoDB calls
// passing through it take turns, reads together and each write alone, and returns its URL;
// it stops when the test ends. Point every process that writes to one table at it (with
// AWS_ENDPOINT_URL_DYNAMODB, or the DynamoDB client's BaseEndpoint) and they are isolated
// from each other as DynamoDB isolates transactions.
//
// moto needs it: it applies a TransactWriteItems action by action and undoes a cancelled
// one by putting back a copy of the whole table taken when it started, so concurrent writes
// to one table can see each other's halves or be undone by another's rollback. The tests of
// package aws serialize the calls of one process with an SDK middleware; a proxy does the
// same for several processes (Lambda functions, say). The code under test still races:
// its calls interleave between each other, only no two writes overlap. Other services'
// calls go through unchanged; real DynamoDB and LocalStack need no proxy.
func SerializingProxy(t testing.TB, endpoint string) string {
	t.Helper()
	target, err := url.Parse(endpoint)
	if err != nil {
		t.Fatalf("awstest: endpoint %q: %v", endpoint, err)
	}
	transport := http.DefaultTransport.(*http.Transport).Clone()
	rp := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(target)
			r.Out.Host = r.In.Host // the Host header is signed
		},
		Transport: transport,
	}
	var mu sync.RWMutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		op, ok := strings.CutPrefix(r.Header.Get("X-Amz-Target"), "DynamoDB_20120810.")
		switch {
		case !ok:
		case readOnly(op):
			mu.RLock()
			defer mu.RUnlock()
		default:
			mu.Lock()
			defer mu.Unlock()
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(func() {
		srv.Close()
		transport.CloseIdleConnections()
	})
	return srv.URL
}

// readOnly reports whether a DynamoDB operation only reads.
func readOnly(op string) bool {
	switch op {
	case "GetItem", "BatchGetItem", "Query", "Scan", "DescribeTable", "TransactGetItems", "DescribeTimeToLive":
		return true
	}
	return false
}
