package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
)

// jsonArg reads the JSON value of a flag: the flag's text, or with "@path" the file's
// content, or with "@-" standard input. Text that does not parse is a usage error.
func (a *app) jsonArg(flag, value string) (json.RawMessage, error) {
	raw := []byte(value)
	if src, ok := strings.CutPrefix(value, "@"); ok {
		var err error
		if src == "-" {
			raw, err = io.ReadAll(a.in)
		} else {
			raw, err = os.ReadFile(src)
		}
		if err != nil {
			return nil, usagef("--%s %s: %v", flag, value, err)
		}
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil, usagef("--%s is not JSON (%v): give a JSON value, e.g. --%s '{\"ok\":true}', or a string in quotes, --%s '\"text\"'", flag, jsonErr(err), flag, flag)
	}
	return json.RawMessage(strings.TrimSpace(string(raw))), nil
}

// jsonErr words a JSON syntax error without the package's prefix.
func jsonErr(err error) string {
	if se, ok := err.(*json.SyntaxError); ok {
		return fmt.Sprintf("%s at byte %d", se.Error(), se.Offset)
	}
	return err.Error()
}
