package install

import (
	"context"
	"strings"
	"testing"
)

// Each policy file that names Tabphone is one line: what it sets in words, whether it
// force-installs Tabphone, or why the browser would ignore it.
func TestDoctorPrintsThePolicy(t *testing.T) {
	env, m, o := healthy(t)
	m.mkdirs("/etc/chromium/policies/managed", "/etc/firefox/policies", "/etc/opt/chrome/policies/managed")
	write := func(p, s string) {
		t.Helper()
		if err := m.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("/etc/chromium/policies/managed/other.json", `{"HomepageLocation": "https://example.org"}`)
	write("/etc/chromium/policies/managed/tabphone.json", `{
	  "ExtensionSettings": {"`+ExtensionID+`": {"installation_mode": "force_installed", "update_url": "https://example.org/u.xml"}},
	  "3rdparty": {"extensions": {"`+ExtensionID+`": {
	    "sites": [{"url": "https://pbx.example.com/app/", "match": "https://pbx.example.com/*", "login": "https://pbx.example.com/login*"}],
	    "close_without_session": true,
	    "account_defaults": {"domain": "pbx.example.com", "transport": "tls", "srtp": "sdes", "codecs": ["g722", "pcmu"]},
	    "click_to_call": {"links": true, "detect": false}}}}}`)
	write("/etc/opt/chrome/policies/managed/broken.json", `{"3rdparty": {"extensions": {"`+ExtensionID+`": {"sites": [}}}`)
	write("/etc/firefox/policies/policies.json", `{"policies": {"3rdparty": {"Extensions": {"`+GeckoID+`": {"site": []}}}}}`)
	checks := Doctor(context.Background(), env, *o)
	var got []string
	for _, l := range lines(checks) {
		if strings.Contains(l, "polic") {
			got = append(got, l)
		}
	}
	want := []string{
		"ok    Chromium policy /etc/chromium/policies/managed/tabphone.json: force-installs Tabphone; Dialer/PBX sites https://pbx.example.com/* (login https://pbx.example.com/login*); session binding on; account defaults: domain pbx.example.com, transport tls, media security sdes, codecs g722 pcmu; click-to-call links forced on; number detection forced off",
		"FAIL  Google Chrome ignores the policy file /etc/opt/chrome/policies/managed/broken.json: it is not valid JSON (invalid character '}' looking for beginning of value); fix: correct /etc/opt/chrome/policies/managed/broken.json (docs/deploy.md has examples)",
		"FAIL  Firefox policy /etc/firefox/policies/policies.json: the Tabphone settings do not match managed_schema.json (json: unknown field \"site\"), so the browser may drop them; fix: correct the Tabphone part of /etc/firefox/policies/policies.json (docs/deploy.md lists the settings)",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("policy lines\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestDoctorReadsNoPolicyOutsideLinux(t *testing.T) {
	env, m, _ := testEnv(t, "darwin")
	m.mkdirs("/etc/chromium/policies/managed")
	if err := m.WriteFile("/etc/chromium/policies/managed/t.json", []byte(`{"3rdparty":{"extensions":{"`+ExtensionID+`":{}}}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if c := env.policyChecks(); len(c) != 0 {
		t.Fatalf("checks %+v", c)
	}
}
