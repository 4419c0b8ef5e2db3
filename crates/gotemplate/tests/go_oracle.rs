//! Templates whose output was checked against Go's text/template itself (Docker 28.2.2's
//! CLI, `docker version --format TEMPLATE`, which runs Go's engine with Docker's functions):
//! every expected string below is what Docker printed.

use six_gotemplate::{docker, Value};

const CASES: &[(&str, &str)] = &[
    (
        r#"{{printf "%5.2f|%q|%v|%x" 3.14159 "a\t" 1e6 255}}"#,
        r#" 3.14|"a\t"|1e+06|ff"#,
    ),
    (
        r#"{{1e6}} {{1.5}} {{100000.0}} {{123456789.0}} {{0.00001}} {{-0.0}} {{1e21}}"#,
        r#"1e+06 1.5 100000 1.23456789e+08 1e-05 -0 1e+21"#,
    ),
    (
        r#"{{json (split "a:b" ":")}} {{split "a:b" ":"}} {{split "abc" ""}}"#,
        r#"["a","b"] [a b] [a b c]"#,
    ),
    (
        r#"{{title "hello wORLD x-y_z"}} {{upper "abc"}} {{lower "ABC"}}"#,
        r#"Hello WORLD X-Y_z ABC abc"#,
    ),
    (
        r#"{{pad "x" 2 3}}|{{pad "" 2 3}}|{{truncate "abcdef" 3}}|{{truncate "ab" 3}}|{{truncate "abc" 3}}"#,
        r#"  x   ||abc|ab|abc"#,
    ),
    (r#"{{join (split "a b c" " ") ","}}"#, r#"a,b,c"#),
    (
        r#"{{range $i, $e := split "a b c" " "}}{{$i}}={{$e}};{{end}}"#,
        r#"0=a;1=b;2=c;"#,
    ),
    (
        r#"{{range split "a b c" " "}}{{if eq . "b"}}{{continue}}{{end}}{{.}}{{end}}"#,
        r#"ac"#,
    ),
    (
        r#"{{range split "a b c" " "}}{{if eq . "b"}}{{break}}{{end}}{{.}}{{end}}"#,
        r#"a"#,
    ),
    (r#"{{range 3}}{{.}}{{end}}"#, r#"012"#),
    (r#"{{range $x := 0}}no{{else}}empty{{end}}"#, r#"empty"#),
    (
        r#"{{if and 1 0}}a{{else if or 0 ""}}b{{else}}c{{end}}"#,
        r#"c"#,
    ),
    (
        r#"{{and 1 2}} {{and 0 2}} {{or 0 ""}} {{or 0 3}} {{not 0}} {{not "x"}}"#,
        r#"2 0  3 true false"#,
    ),
    (r#"{{len "héllo"}} {{len (split "a b" " ")}}"#, r#"6 2"#),
    (
        r#"{{index (split "a b" " ") 1}} {{slice "hello" 1 3}} {{slice (split "a b c" " ") 1}}"#,
        r#"b el [b c]"#,
    ),
    (
        r#"{{print 1 2 "a" "b" 3}}|{{println 1 "a"}}|{{print nil}}"#,
        r#"1 2ab3|1 a
|<nil>"#,
    ),
    (r#"{{printf "%d %s" 1}}"#, r#"1 %!s(MISSING)"#),
    (
        r#"{{printf "%d" "x"}} {{printf "%s" 1 2}}"#,
        r#"%!d(string=x) %!s(int=1)%!(EXTRA int=2)"#,
    ),
    (
        r#"{{printf "%v %T %T %T" nil 1 "a" 1.5}}"#,
        r#"<nil> int string float64"#,
    ),
    (
        r#"{{printf "%08.3f|%-8d|%+d|% d|%#x|%#o|%o|%b|%c|%U|%e|%E|%g|%G" 3.14159 42 5 5 255 8 8 5 65 65 1234.5678 0.000123 1e-7 1e20}}"#,
        r#"0003.142|42      |+5| 5|0xff|010|10|101|A|U+0041|1.234568e+03|1.230000E-04|1e-07|1E+20"#,
    ),
    (
        r#"{{eq 1 1}} {{eq 1 2 3 1}} {{ne "a" "b"}} {{lt 1 2}} {{le 2 2}} {{gt "b" "a"}} {{ge 1.5 2.5}}"#,
        r#"true true true true true true false"#,
    ),
    (r#"{{$x := 1}}{{$x = 2}}{{$x}}"#, r#"2"#),
    (r#"{{with $y := "v"}}{{$y}}{{.}}{{end}}"#, r#"vv"#),
    (
        r#"{{with ""}}a{{else}}b{{end}} {{with "x"}}{{.}}{{else with "y"}}b{{end}}"#,
        r#"b x"#,
    ),
    (r#"{{- "  trim  " -}}   |"#, r#"  trim  |"#),
    (r#"{{/* comment */}}x{{- /* c2 */ -}}  y"#, r#"xy"#),
    (
        r#"{{define "T"}}[{{.}}]{{end}}{{template "T" "arg"}}{{block "B" 5}}<{{.}}>{{end}}"#,
        r#"[arg]<5>"#,
    ),
    (
        r#"{{html "<a href='x'>&\"</a>"}} {{js "a'b\"<>\n="}} {{urlquery "a b&c/d"}}"#,
        r#"&lt;a href=&#39;x&#39;&gt;&amp;&#34;&lt;/a&gt; a\'b\"\u003C\u003E\u000A\u003D a+b%26c%2Fd"#,
    ),
    (
        r#"{{printf "%q" "é\u0001\x7f"}} {{printf "%+q" "é"}} {{printf "%x" "hé"}} {{printf "% x" "hé"}}"#,
        r#""é\x01\x7f" "\u00e9" 68c3a9 68 c3 a9"#,
    ),
    (
        r#"{{printf "%6.2v|%.3s|%5t" 3.14159 "abcdef" true}}"#,
        r#"   3.1|abc| true"#,
    ),
    (
        r#"{{printf "%v" (split "a b" " ")}} {{printf "%q" (split "a b" " ")}} {{printf "%5v" (split "a b" " ")}}"#,
        r#"[a b] ["a" "b"] [    a     b]"#,
    ),
    (
        r#"{{0x1F}} {{0o17}} {{0b101}} {{017}} {{1_000}} {{'a'}} {{-5}} {{+5}}"#,
        r#"31 15 5 15 1000 97 -5 5"#,
    ),
    (r#"{{index "abc" 1}}"#, r#"98"#),
    (
        r#"{{printf "%s" (json "x<y")}} {{json 1.5}} {{json 1e21}} {{json 1e-7}} {{json "\u2028"}} {{json nil}}"#,
        r#""x<y" 1.5 1e+21 1e-7 "\u2028" null"#,
    ),
    (
        r#"{{printf "%.0f %.1f %.2f" 2.5 0.25 1.005}}"#,
        r#"2 0.2 1.00"#,
    ),
    (
        r#"{{printf "%g %g %g %.3g %.10g" 100000.0 1000000.0 0.0001 1234.5678 1.0}}"#,
        r#"100000 1e+06 0.0001 1.23e+03 1"#,
    ),
    (
        r#"{{printf "%*d|%-*d|%.*f" 5 1 4 2 2 3.14159}}"#,
        r#"    1|2   |3.14"#,
    ),
    (r#"{{ printf "%v" 1 | printf "%s-%s" "a" }}"#, r#"a-1"#),
    (r#"{{"a" | printf "%s%s" "b"}}"#, r#"ba"#),
    (r#"{{$}} {{.}}"#, r#"<nil> <nil>"#),
    (
        r#"{{printf "%6.3e" 123456.0}} {{printf "%10.4g|" 3.14159}}"#,
        r#"1.235e+05      3.142|"#,
    ),
];

#[test]
fn go_and_six_gotemplate_print_the_same() {
    for (template, want) in CASES {
        let got = docker::parse(template)
            .and_then(|t| t.execute(&Value::Nil))
            .unwrap_or_else(|e| panic!("{template}: {e}"));
        assert_eq!(&got, want, "{template}");
    }
}
