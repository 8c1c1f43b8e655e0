package cli

import (
	"runtime/debug"
	"strings"
)

// version describes the build from what the Go toolchain recorded in it:
// the module version (a tag when installed with `go install ...@v1.2.3`,
// "(devel)" from a checkout) and the VCS revision, its time and whether the
// tree had uncommitted changes.
func version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown (built without module information)"
	}
	v := bi.Main.Version
	if v == "" {
		v = "(devel)"
	}
	var rev, at, dirty string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.time":
			at = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				dirty = ", with uncommitted changes"
			}
		}
	}
	parts := []string{v}
	if rev != "" {
		parts = append(parts, "revision "+rev+dirty)
	}
	if at != "" {
		parts = append(parts, "committed "+at)
	}
	return strings.Join(parts, ", ") + ", " + bi.GoVersion
}
