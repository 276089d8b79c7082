package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/stretchr/testify/require"
)

// With --sigv4, every call to the admin API carries a SigV4 signature for execute-api, made
// with the environment's AWS credentials, that the server can check; a URL that already ends
// in the admin path is taken as it is (the stack's AdminEndpoint output).
func TestSigV4SignsAdminCalls(t *testing.T) {
	t.Parallel()
	var (
		mu  sync.Mutex
		got []*http.Request
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = append(got, r.Clone(context.Background()))
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"workflows":["a"]}`))
	}))
	t.Cleanup(srv.Close)
	c := cli{t: t, env: []string{"AWS_ACCESS_KEY_ID=AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"}}
	out := c.ok("workflows", "--server", srv.URL+"/.well-known/workflow/v1/admin", "--sigv4", "true", "--region", "eu-west-1")
	require.Equal(t, "a", strings.TrimSpace(out))

	mu.Lock()
	defer mu.Unlock()
	require.Len(t, got, 1)
	r := got[0]
	require.Equal(t, "/.well-known/workflow/v1/admin/workflows", r.URL.Path)
	auth := r.Header.Get("Authorization")
	require.True(t, strings.HasPrefix(auth, "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/"), auth)
	require.Contains(t, auth, "/eu-west-1/execute-api/aws4_request")

	// The server's check: the same request signed again at its X-Amz-Date gives the same
	// Authorization.
	at, err := time.Parse("20060102T150405Z", r.Header.Get("X-Amz-Date"))
	require.NoError(t, err)
	again, err := http.NewRequest(r.Method, srv.URL+r.URL.RequestURI(), nil)
	require.NoError(t, err)
	_, signedList, _ := strings.Cut(auth, "SignedHeaders=")
	signedList, _, _ = strings.Cut(signedList, ",")
	for _, h := range strings.Split(signedList, ";") {
		if h != "host" && h != "x-amz-date" {
			again.Header.Set(h, r.Header.Get(h))
		}
	}
	again.Host = r.Host
	const emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
	creds := aws.Credentials{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"}
	require.NoError(t, v4.NewSigner().SignHTTP(context.Background(), creds, again, emptySHA256, "execute-api", "eu-west-1", at))
	require.Equal(t, again.Header.Get("Authorization"), auth, "a signature the server can verify")

	c.fails(exitUsage, []string{"workflows", "--server", srv.URL, "--sigv4", "maybe"}, "--sigv4")
}

// An API Gateway host is signed by default, in the region of its name.
func TestSigV4Defaults(t *testing.T) {
	t.Parallel()
	require.True(t, isAPIGateway("abc123.execute-api.eu-west-1.amazonaws.com"))
	require.False(t, isAPIGateway("127.0.0.1:8080"))
	require.False(t, isAPIGateway("example.com"))
	require.Equal(t, "eu-west-1", regionOf("abc123.execute-api.eu-west-1.amazonaws.com"))
	require.Empty(t, regionOf("127.0.0.1:8080"))
}
