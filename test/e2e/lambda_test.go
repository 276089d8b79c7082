package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
)

// function is one Lambda function running in its own Runtime Interface Emulator, which
// serves the Invoke API on addr and runs the bootstrap (initialised on the first invoke).
type function struct {
	name    string
	addr    string
	timeout time.Duration
	client  *http.Client
	// mu serialises the invokes. Like one Lambda execution environment, an emulator handles
	// one invoke at a time, and a second one while the first runs does not wait nor get an
	// error: the emulator crashes (a nil-pointer panic after "ReserveFailed: AlreadyReserved").
	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{} // closed when the emulator has exited
	out    *logBuffer
}

// startFunction runs the bootstrap of function fn (its directory under functions/) in an
// emulator, as the instance label, with the given environment (and nothing of the test's
// own, which the emulator would pass on to the function), and stops it when the test ends;
// its output goes to the test log if the test failed.
func startFunction(t *testing.T, bins binaries, fn, label string, timeout time.Duration, env map[string]string) *function {
	t.Helper()
	// Free ports are found by listening and closing; another process may take one in
	// between, in which case the emulator exits at once and is started again.
	var lastErr error
	for range 3 {
		f, err := tryStartFunction(bins, fn, label, timeout, env)
		if err == nil {
			t.Cleanup(func() { f.stop(t) })
			return f
		}
		lastErr = err
	}
	t.Fatalf("starting the %s function: %v", label, lastErr)
	return nil
}

func tryStartFunction(bins binaries, fn, label string, timeout time.Duration, env map[string]string) (*function, error) {
	apiAddr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	bootstrap := bins.bootstrap[fn]
	cmd := exec.Command(bins.rie,
		"--runtime-api-address", apiAddr,
		"--runtime-interface-emulator-address", addr,
		bootstrap)
	cmd.Dir = filepath.Dir(bootstrap) // the function's working directory, like /var/task
	vars := map[string]string{
		"AWS_LAMBDA_FUNCTION_NAME":        "hookflow-" + fn,
		"AWS_LAMBDA_FUNCTION_TIMEOUT":     fmt.Sprint(int(timeout.Seconds())),
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256",
		"AWS_LAMBDA_FUNCTION_VERSION":     "$LATEST",
		"AWS_EXECUTION_ENV":               "AWS_Lambda_provided.al2023",
		"AWS_EC2_METADATA_DISABLED":       "true",
	}
	for k, v := range env {
		vars[k] = v
	}
	for k, v := range vars {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	out := &logBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = procAttr()
	// The runtime shares the emulator's output; bound the wait for it to close.
	cmd.WaitDelay = 2 * time.Second
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	f := &function{
		name: label, addr: addr, timeout: timeout, cmd: cmd, exited: make(chan struct{}), out: out,
		client: &http.Client{Transport: &http.Transport{}, Timeout: timeout + 10*time.Second},
	}
	go func() {
		_ = cmd.Wait()
		close(f.exited)
	}()
	if err := f.awaitListening(10 * time.Second); err != nil {
		_ = cmd.Process.Kill()
		<-f.exited
		return nil, fmt.Errorf("%w\n%s", err, out.String())
	}
	return f, nil
}

func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// awaitListening waits until the emulator accepts connections (it binds both its ports at
// start-up, and exits at once if it cannot).
func (f *function) awaitListening(limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		conn, err := net.DialTimeout("tcp", f.addr, time.Second)
		if err == nil {
			return conn.Close()
		}
		select {
		case <-f.exited:
			return fmt.Errorf("the emulator exited before it listened on %s", f.addr)
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the emulator does not listen on %s after %v", f.addr, limit)
		}
	}
}

// stop ends the emulator: SIGTERM makes it kill the runtime and exit; SIGKILL if it does not.
func (f *function) stop(t *testing.T) {
	f.client.CloseIdleConnections()
	_ = f.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-f.exited:
	case <-time.After(5 * time.Second):
		_ = f.cmd.Process.Kill()
		<-f.exited
	}
	if t.Failed() {
		t.Logf("output of the %s function (emulator and runtime):\n%s", f.name, f.out.String())
	}
}

// functionError is an invoke that the function answered with an error: its handler returned
// one, it panicked or it timed out. The emulator answers those with status 200 and the error
// document as the body, without the X-Amz-Function-Error header of the Lambda API.
type functionError struct {
	Function     string
	ErrorType    string `json:"errorType"`
	ErrorMessage string `json:"errorMessage"`
}

func (e *functionError) Error() string {
	return fmt.Sprintf("the %s function failed: %s: %s", e.Function, e.ErrorType, e.ErrorMessage)
}

// invoke calls the function with payload as the event (marshalled to JSON unless it is
// already json.RawMessage) and returns its response, like a synchronous Lambda Invoke.
func (f *function) invoke(ctx context.Context, payload any) (json.RawMessage, error) {
	raw, ok := payload.(json.RawMessage)
	if !ok {
		var err error
		if raw, err = json.Marshal(payload); err != nil {
			return nil, err
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost,
		"http://"+f.addr+"/2015-03-31/functions/function/invocations", bytes.NewReader(raw))
	if err != nil {
		return nil, err
	}
	resp, err := f.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("invoking the %s function: %w", f.name, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("invoking the %s function: reading the response: %w", f.name, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("invoking the %s function: the emulator answered %s: %s", f.name, resp.Status, body)
	}
	if bytes.HasPrefix(body, []byte("Task timed out after")) {
		return nil, &functionError{Function: f.name, ErrorType: "Sandbox.Timedout", ErrorMessage: string(body)}
	}
	fe := &functionError{Function: f.name}
	if json.Unmarshal(body, fe) == nil && fe.ErrorType != "" {
		return nil, fe
	}
	return body, nil
}

// invokeInto invokes the function and decodes its response into out.
func (f *function) invokeInto(ctx context.Context, payload, out any) error {
	raw, err := f.invoke(ctx, payload)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("the %s function answered %s: %w", f.name, raw, err)
	}
	return nil
}

// logBuffer collects a process's output; it keeps the last maxLog bytes.
type logBuffer struct {
	mu  sync.Mutex
	buf []byte
}

const maxLog = 256 << 10

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = append(b.buf, p...)
	if over := len(b.buf) - maxLog; over > 0 {
		b.buf = append(b.buf[:0], b.buf[over:]...)
	}
	return len(p), nil
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return strings.TrimRight(string(b.buf), "\n")
}

// invoker returns a Lambda API client for the function, for SDK code that invokes functions
// (pkg/lambdaresume): the emulator serves the Invoke API's path for one function, named
// "function", so that is the FunctionName to invoke. Its invokes take turns with the others.
func (f *function) invoker(cfg aws.Config) *lambdaClient {
	return &lambdaClient{f: f, c: lambda.NewFromConfig(cfg, func(o *lambda.Options) {
		o.BaseEndpoint = aws.String("http://" + f.addr)
	})}
}

// emulatedFunctionName is the only function name the emulator answers to.
const emulatedFunctionName = "function"

type lambdaClient struct {
	f *function
	c *lambda.Client
}

func (l *lambdaClient) Invoke(ctx context.Context, in *lambda.InvokeInput, opts ...func(*lambda.Options)) (*lambda.InvokeOutput, error) {
	l.f.mu.Lock()
	defer l.f.mu.Unlock()
	return l.c.Invoke(ctx, in, opts...)
}
