package httpedge

import (
	"crypto/tls"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/require"
)

func TestFullURL(t *testing.T) {
	t.Parallel()
	r := httptest.NewRequest(http.MethodPost, "/a/b?c=d&e", nil)
	r.Host = "example.com:8080"
	require.Equal(t, "http://example.com:8080/a/b?c=d&e", FullURL(r))

	r.Header.Set("X-Forwarded-Proto", " https , http")
	require.Equal(t, "https://example.com:8080/a/b?c=d&e", FullURL(r), "the first proxy's scheme")

	r.Header.Del("X-Forwarded-Proto")
	r.TLS = &tls.ConnectionState{}
	require.Equal(t, "https://example.com:8080/a/b?c=d&e", FullURL(r))

	abs := httptest.NewRequest(http.MethodGet, "https://api.test/x%2Fy?q=1", nil)
	require.Equal(t, "https://api.test/x%2Fy?q=1", FullURL(abs), "an absolute URL as it came")
}

func TestReadLimited(t *testing.T) {
	t.Parallel()
	b, err := readLimited(nil, 3)
	require.NoError(t, err)
	require.Nil(t, b)

	b, err = readLimited(strings.NewReader("abc"), 3)
	require.NoError(t, err)
	require.Equal(t, "abc", string(b), "at the limit")

	_, err = readLimited(strings.NewReader("abcd"), 3)
	require.ErrorIs(t, err, errTooLarge)

	boom := errors.New("connection reset")
	_, err = readLimited(iotest.ErrReader(boom), 3)
	require.ErrorIs(t, err, boom)
}
