package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// A deployment's admin API (the admin function's route) is IAM-authorized: each request must
// carry a SigV4 signature for execute-api, made with the caller's AWS credentials. --sigv4
// signs the requests to --server; it is on by default for an API Gateway host.

// isAPIGateway reports whether host is an API Gateway endpoint, whose admin route needs
// signed requests.
func isAPIGateway(host string) bool {
	return strings.Contains(host, ".execute-api.") && strings.HasSuffix(host, ".amazonaws.com")
}

// regionOf returns the region in an API Gateway host (abc.execute-api.eu-west-1.amazonaws.com).
func regionOf(host string) string {
	_, rest, ok := strings.Cut(host, ".execute-api.")
	if !ok {
		return ""
	}
	region, _, _ := strings.Cut(rest, ".")
	return region
}

// signingTransport signs each request for execute-api in region with the credentials of
// creds, then sends it with base.
type signingTransport struct {
	base   http.RoundTripper
	creds  aws.CredentialsProvider
	region string
	signer *v4.Signer
	now    func() time.Time
}

func newSigningTransport(base http.RoundTripper, cfg aws.Config, region string) *signingTransport {
	return &signingTransport{base: base, creds: cfg.Credentials, region: region, signer: v4.NewSigner(), now: time.Now}
}

func (s *signingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if s.creds == nil {
		return nil, fmt.Errorf("--sigv4: no AWS credentials found (set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)")
	}
	body, err := readBody(r)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(body)
	creds, err := s.creds.Retrieve(r.Context())
	if err != nil {
		return nil, fmt.Errorf("--sigv4: the AWS credentials: %w", err)
	}
	signed := r.Clone(r.Context())
	signed.Body = io.NopCloser(bytes.NewReader(body))
	if err := s.signer.SignHTTP(r.Context(), creds, signed, hex.EncodeToString(sum[:]), "execute-api", s.region, s.now().UTC()); err != nil {
		return nil, fmt.Errorf("--sigv4: signing the request: %w", err)
	}
	return s.base.RoundTrip(signed)
}

// readBody reads a request's body, leaving the request able to send it again.
func readBody(r *http.Request) ([]byte, error) {
	if r.Body == nil || r.Body == http.NoBody {
		return nil, nil
	}
	b, err := io.ReadAll(r.Body)
	_ = r.Body.Close()
	if err != nil {
		return nil, err
	}
	r.Body = io.NopCloser(bytes.NewReader(b))
	return b, nil
}

// signingClient returns hc signing its requests when --sigv4 says so (or, by default, when
// the server is API Gateway).
func (a *app) signingClient(ctx context.Context, hc *http.Client, host string) (*http.Client, error) {
	sign := isAPIGateway(host)
	if a.global.sigv4 != "" {
		sign = a.global.sigv4 == "true"
	}
	if !sign {
		return hc, nil
	}
	cfg, err := a.awsConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("loading the AWS configuration to sign requests (--sigv4): %w", err)
	}
	region := a.global.region
	if region == "" {
		region = regionOf(host)
	}
	if region == "" {
		region = cfg.Region
	}
	if region == "" {
		return nil, usagef("--sigv4 needs a region: pass --region")
	}
	base := hc.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	out := *hc
	out.Transport = newSigningTransport(base, cfg, region)
	return &out, nil
}
