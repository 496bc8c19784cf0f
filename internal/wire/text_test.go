package wire

import "testing"

// TestCheckPrintable pins what CheckSecret and CheckText accept and the
// words they refuse with.
func TestCheckPrintable(t *testing.T) {
	for _, v := range []string{"a b", "ключ-1"} {
		if err := CheckSecret("key", v); err != nil {
			t.Errorf("CheckSecret(%q): %v", v, err)
		}
		if err := CheckText("name", v, false); err != nil {
			t.Errorf("CheckText(%q): %v", v, err)
		}
	}
	for _, v := range []string{"a\tb", "a\u202eb", "a\ufffdb", "a\u2028b", "x\u00a0y"} {
		if err := CheckSecret("key", v); err == nil || err.Error() != "the key contains a character that is not printable" {
			t.Errorf("CheckSecret(%q): %v", v, err)
		}
		if err := CheckText("name", v, false); err == nil || err.Error() != "the name contains a character that is not printable" {
			t.Errorf("CheckText(%q): %v", v, err)
		}
	}
}
