package soap

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
)

// readingText renders what a reading holds, to compare two of them.
func readingText(r *reading) string {
	var b strings.Builder
	fmt.Fprintf(&b, "result=%q has=%v fault=%v code=%q reason=%q kind=%q children=[",
		r.result.String(), r.hasResult, r.fault, r.faultCode.String(), r.reason.String(), r.code.String())
	for _, c := range r.children {
		fmt.Fprintf(&b, "%q=%q ", c.name, c.text.String())
	}
	return b.String() + "]"
}

// checkFastParse reads body as every operation with fastParse and, where
// it accepts it, with parse: parse must accept it too and read the same.
// It returns how many operations fastParse accepted body for.
func checkFastParse(t *testing.T, body []byte) int {
	t.Helper()
	accepted := 0
	for _, v12 := range []bool{false, true} {
		for _, op := range fuzzOpNames {
			p := prepareNamespace(DefaultNamespace, v12).ops[op]
			var fast reading
			if !fastParse(&fast, body, p) {
				continue
			}
			accepted++
			var slow reading
			if err := parse(&slow, bytes.NewReader(body), p); err != nil {
				t.Fatalf("%s: fastParse accepted what parse refuses (%v): %q", op, err, body)
			}
			if f, s := readingText(&fast), readingText(&slow); f != s {
				t.Fatalf("%s: fastParse read\n%s\nparse read\n%s\nfrom %q", op, f, s, body)
			}
		}
	}
	return accepted
}

// fastSeeds are answers of the common shape, and the edges of that shape.
func fastSeeds() []string {
	var out []string
	for _, s := range successSeeds() {
		out = append(out, s.body)
	}
	gen := successDoc(false, OpGenerateAPIKey, DefaultNamespace, "", fuzzKey)
	out = append(out,
		fault11("soap:Client", "Invalid Session ID", "Authentication"),
		fault11("soap:Client", "a &amp; b &lt;c&gt; &quot;d&apos;", "5"),
		fault12("soap:Sender", "Invalid Session ID", "Authentication", true),
		fault12("soap:Receiver", "Server was unable to process request. ---&gt; x", "", false),
		envelope(false, `<soap:Fault><faultcode>soap:Server</faultcode><faultstring/><detail/></soap:Fault>`),
		strings.Replace(gen, "<GenerateAPIKeyResult>"+fuzzKey+"</GenerateAPIKeyResult>", "<GenerateAPIKeyResult/>", 1),
		strings.Replace(gen, "<soap:Body>", "<soap:Body >\n\t", 1),
		strings.Replace(gen, "</soap:Body>", "</soap:Body \n>", 1),
		strings.Replace(gen, `xmlns:soap=`, `a='1' b = "x>y" xmlns:soap=`, 1),
		strings.Replace(gen, `<?xml version="1.0" encoding="utf-8"?>`, `<?xml version="1.0"?>`, 1),
		strings.Replace(gen, `<?xml version="1.0" encoding="utf-8"?>`, "", 1),
		strings.Replace(gen, `<?xml version="1.0" encoding="utf-8"?>`, `<?xml version="1.1"?>`, 1),
		strings.Replace(gen, fuzzKey, fuzzKey+"]]>", 1),
		strings.Replace(gen, fuzzKey, fuzzKey+"&#65;", 1),
		strings.Replace(gen, fuzzKey, fuzzKey+"&nbsp;", 1),
		strings.Replace(gen, fuzzKey, fuzzKey+"\r\n", 1),
		strings.Replace(gen, "GenerateAPIKeyResult", "a:b:GenerateAPIKeyResult", 2),
		strings.Replace(gen, "GenerateAPIKeyResult>", "GenerateAPIKeyResult >", 1),
		strings.Replace(gen, "</GenerateAPIKeyResponse>", "</GenerateAPIKeyResponse><x:y z=''/>", 1),
		gen+"\n  \n",
		gen+"x",
		gen+gen[strings.Index(gen, "?>")+2:],
		gen[:len(gen)-3],
		"<Envelope/>",
		"<Envelope></envelope>",
		"<Body/>",
	)
	return out
}

func FuzzFastParse(f *testing.F) {
	for _, s := range fastSeeds() {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) { checkFastParse(t, body) })
}

// TestFastParseTakesCommonAnswers checks that the common answers — every
// operation's success, both versions' faults in both detail shapes — are
// read by fastParse, and as parse reads them. Without it, a fastParse that
// gave up on everything would pass every other test.
func TestFastParseTakesCommonAnswers(t *testing.T) {
	tests := []struct {
		name string
		body string
		want int // operations (of ten) fastParse accepts the body for
	}{
		{"1.1 fault", fault11("soap:Client", "Invalid Session ID", "Authentication"), 10},
		{"1.1 fault with entities", fault11("soap:Client", "a &amp; b &lt;c&gt;", "5"), 10},
		{"1.2 fault, ASMX's detail", fault12("soap:Sender", "Invalid Session ID", "Authentication", true), 10},
		{"1.2 fault, soap:Detail", fault12("soap:Receiver", "boom", "SystemError", false), 10},
		{"comment", strings.Replace(fault11("soap:Client", "x", "5"), "<soap:Body>", "<soap:Body><!-- c -->", 1), 0},
		{"latin-1", strings.Replace(fault11("soap:Client", "x", "5"), "utf-8", "ISO-8859-1", 1), 0},
	}
	for _, s := range successSeeds() {
		// A success answer is read for the operations it is not an answer
		// of too (they find no result in it).
		want := 10
		tests = append(tests, struct {
			name string
			body string
			want int
		}{fmt.Sprintf("%s success (1.2: %v)", s.op, s.soap12), s.body, want})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := checkFastParse(t, []byte(tt.body)); got != tt.want {
				t.Errorf("fastParse accepted the answer for %d operations, want %d", got, tt.want)
			}
		})
	}
}
