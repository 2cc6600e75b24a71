package cbrfake

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"
)

// A small strict JSON reader: it keeps the document structure so that
// validation can name the exact field of an error, rejects duplicate keys,
// invalid UTF-8 and trailing data.

type jkind uint8

const (
	jNull jkind = iota
	jBool
	jNumber
	jString
	jArray
	jObject
)

func (k jkind) String() string {
	switch k {
	case jNull:
		return "null"
	case jBool:
		return "boolean"
	case jNumber:
		return "number"
	case jString:
		return "string"
	case jArray:
		return "array"
	default:
		return "object"
	}
}

type jval struct {
	kind jkind
	str  string // string value or number literal
	arr  []*jval
	keys []string // object keys in document order
	obj  map[string]*jval
}

// typeName describes v for error messages.
func (v *jval) typeName() string {
	if v.kind == jNumber && !isIntegerLiteral(v.str) {
		return "number " + v.str
	}
	if v.kind == jNumber {
		return "integer"
	}
	return v.kind.String()
}

const maxJSONDepth = 32

// parseStrictJSON parses one JSON document.
func parseStrictJSON(data []byte) (*jval, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, errors.New("request body is empty")
	}
	if !utf8.Valid(data) {
		return nil, errors.New("request body is not valid UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	v, err := parseJSONValue(dec, "", 0)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("request body has unexpected data after the JSON value")
	}
	return v, nil
}

func parseJSONValue(dec *json.Decoder, path string, depth int) (*jval, error) {
	if depth > maxJSONDepth {
		return nil, fmt.Errorf("request body is nested too deeply at %s", displayPath(path))
	}
	tok, err := dec.Token()
	if err != nil {
		return nil, syntaxError(err)
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			v := &jval{kind: jObject, obj: map[string]*jval{}}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, syntaxError(err)
				}
				key, ok := kt.(string)
				if !ok {
					return nil, errors.New("request body is not valid JSON")
				}
				child := joinPath(path, key)
				if _, dup := v.obj[key]; dup {
					return nil, fmt.Errorf("duplicate field %s", child)
				}
				cv, err := parseJSONValue(dec, child, depth+1)
				if err != nil {
					return nil, err
				}
				v.keys = append(v.keys, key)
				v.obj[key] = cv
			}
			if _, err := dec.Token(); err != nil {
				return nil, syntaxError(err)
			}
			return v, nil
		case '[':
			v := &jval{kind: jArray}
			for dec.More() {
				cv, err := parseJSONValue(dec, fmt.Sprintf("%s[%d]", path, len(v.arr)), depth+1)
				if err != nil {
					return nil, err
				}
				v.arr = append(v.arr, cv)
			}
			if _, err := dec.Token(); err != nil {
				return nil, syntaxError(err)
			}
			return v, nil
		}
		return nil, errors.New("request body is not valid JSON")
	case string:
		return &jval{kind: jString, str: t}, nil
	case json.Number:
		return &jval{kind: jNumber, str: string(t)}, nil
	case bool:
		return &jval{kind: jBool, str: strconv.FormatBool(t)}, nil
	case nil:
		return &jval{kind: jNull}, nil
	}
	return nil, errors.New("request body is not valid JSON")
}

func syntaxError(err error) error {
	if err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF) {
		return errors.New("request body is not valid JSON: unexpected end of input")
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Errorf("request body is not valid JSON: %s (at byte %d)", se.Error(), se.Offset)
	}
	return fmt.Errorf("request body is not valid JSON: %v", err)
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func displayPath(path string) string {
	if path == "" {
		return "the top level"
	}
	return path
}

// isIntegerLiteral reports whether a JSON number literal is written as an
// integer (no fraction, no exponent).
func isIntegerLiteral(s string) bool {
	return s != "" && !strings.ContainsAny(s, ".eE")
}

// fieldError is a validation error naming a field.
type fieldError struct {
	missing bool // a required field is absent (IAM distinguishes it)
	msg     string
}

func (e *fieldError) Error() string { return e.msg }

func fieldErr(format string, args ...any) *fieldError {
	return &fieldError{msg: fmt.Sprintf(format, args...)}
}

// objectFields checks that v is an object whose keys are all in allowed.
func objectFields(v *jval, path string, allowed ...string) *fieldError {
	if v.kind != jObject {
		return fieldErr("%s must be an object, got %s", displayPath(path), v.typeName())
	}
	for _, k := range v.keys {
		if !contains(allowed, k) {
			return fieldErr("unknown field %s", joinPath(path, k))
		}
	}
	return nil
}

// member checks that v is an object with no members but key and others, and
// returns its member key, which is required.
func member(v *jval, path, key string, others ...string) (*jval, *fieldError) {
	if ferr := objectFields(v, path, append([]string{key}, others...)...); ferr != nil {
		return nil, ferr
	}
	return requiredField(v, path, key)
}

// parseMember strictly parses body, a JSON object with no members but key
// and others, and returns its member key, which is required.
func parseMember(body []byte, key string, others ...string) (*jval, *fieldError) {
	root, err := parseStrictJSON(body)
	if err != nil {
		return nil, fieldErr("%s", err.Error())
	}
	return member(root, "", key, others...)
}

// requiredField returns the field key of object v, or a "required" error.
func requiredField(v *jval, path, key string) (*jval, *fieldError) {
	f, ok := v.obj[key]
	if !ok {
		return nil, &fieldError{missing: true, msg: fmt.Sprintf("%s is required", joinPath(path, key))}
	}
	return f, nil
}

// stringField returns a required, non-empty string field.
func stringField(v *jval, path, key string) (string, *fieldError) {
	f, err := requiredField(v, path, key)
	if err != nil {
		return "", err
	}
	p := joinPath(path, key)
	if f.kind != jString {
		return "", fieldErr("%s must be a string, got %s", p, f.typeName())
	}
	if f.str == "" {
		return "", fieldErr("%s must not be empty", p)
	}
	return f.str, nil
}
