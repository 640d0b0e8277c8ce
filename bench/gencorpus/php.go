package main

import (
	"strconv"
)

// Synthetic PHP: classes, functions, docblocks, arrays, HTML templates and
// language tables built from a vocabulary of identifiers common in PHP
// applications. It only has to look like PHP to a scanner (tokens, density of
// identifiers and strings, line lengths); it is never executed. It never
// contains the constructs shell rules look for (eval, assert, system, exec,
// base64_decode, gzinflate, $_POST/$_GET/$_REQUEST passed to a function, ...).

var words = []string{
	"post", "user", "option", "cache", "query", "meta", "term", "comment", "widget", "block",
	"theme", "plugin", "admin", "menu", "nav", "item", "field", "value", "key", "setting",
	"request", "response", "route", "handler", "controller", "model", "view", "template", "render", "filter",
	"action", "hook", "event", "session", "cookie", "header", "image", "media", "attachment", "upload",
	"file", "path", "url", "link", "site", "network", "blog", "page", "category", "tag",
	"taxonomy", "author", "date", "time", "format", "locale", "lang", "text", "title", "content",
	"excerpt", "status", "type", "id", "name", "slug", "parent", "child", "order", "limit",
	"offset", "count", "total", "result", "data", "config", "param", "args", "defaults", "instance",
	"manager", "factory", "builder", "parser", "token", "node", "tree", "list", "table", "column",
	"row", "schema", "database", "connection", "statement", "transaction", "mail", "message", "subject", "recipient",
	"sender", "feed", "rss", "atom", "json", "xml", "html", "script", "style", "asset",
	"resource", "module", "component", "extension", "library", "helper", "utility", "service", "provider", "container",
	"registry", "loader", "namespace", "interface", "method", "property", "argument", "error", "warning", "notice",
	"debug", "log", "logger", "level", "channel", "stream", "buffer", "output", "input", "validate",
	"sanitize", "escape", "encode", "hash", "nonce", "capability", "role", "permission", "access", "auth",
	"login", "logout", "password", "email", "profile", "avatar", "search", "index", "archive", "single",
	"front", "home", "footer", "sidebar", "area", "panel", "dashboard", "report", "stats", "chart",
	"order", "cart", "product", "price", "tax", "shipping", "coupon", "invoice", "payment", "gateway",
	"locale", "translation", "plural", "domain", "host", "port", "socket", "client", "server", "proxy",
	"image", "thumbnail", "size", "width", "height", "crop", "quality", "mime", "extension", "directory",
}

var nsRoots = []string{"App", "Vendor", "Core", "Joomla", "WP", "Symfony", "Illuminate", "Twig", "Monolog", "Horde", "Cms", "Framework"}

var phpFuncs = []string{
	"isset", "empty", "count", "is_array", "array_merge", "array_keys", "array_map", "in_array", "implode", "explode",
	"str_replace", "sprintf", "strtolower", "trim", "substr", "strpos", "preg_match", "preg_replace", "json_encode", "json_decode",
	"htmlspecialchars", "esc_html", "esc_attr", "esc_url", "__", "apply_filters", "do_action", "add_action", "add_filter", "get_option",
	"update_option", "wp_parse_args", "absint", "intval", "is_wp_error", "sanitize_text_field", "wp_kses_post", "get_post_meta", "rawurlencode", "urlencode",
	"md5", "sha1", "time", "gmdate", "file_exists", "is_readable", "dirname", "basename", "ucfirst", "array_filter",
	"array_slice", "usort", "method_exists", "class_exists", "function_exists", "defined", "serialize", "hash_hmac", "bin2hex", "mb_strlen",
	"mb_substr", "number_format", "round", "max", "min", "array_key_exists", "ksort", "array_values", "array_unique", "array_search",
	"is_numeric", "is_string", "strlen", "str_repeat", "nl2br", "wp_json_encode", "wp_safe_redirect", "current_user_can", "get_current_user_id", "sprintf",
	"base64_encode", "array_combine", "array_flip", "ltrim", "rtrim", "ucwords", "wp_unslash", "esc_html__", "_n", "get_bloginfo",
}

var phpTypes = []string{"string", "int", "bool", "array", "float", "mixed", "object", "callable", "null", "self"}

var exceptions = []string{"InvalidArgumentException", "RuntimeException", "LogicException", "DomainException", "UnexpectedValueException", "OutOfRangeException"}

var htmlTags = []string{"div", "span", "p", "li", "td", "th", "label", "h2", "h3", "section", "a", "strong", "em"}

type phpGen struct {
	r      *rng
	b      []byte
	target int
	indent int
}

func (g *phpGen) full() bool { return len(g.b) >= g.target }

func (g *phpGen) s(s string) { g.b = append(g.b, s...) }

func (g *phpGen) nl() {
	g.b = append(g.b, '\n')
	for i := 0; i < g.indent; i++ {
		g.b = append(g.b, '\t')
	}
}

func (g *phpGen) word() string { return pick(g.r, words) }

func (g *phpGen) snake(n int) string {
	var b []byte
	for i := 0; i < n; i++ {
		if i > 0 {
			b = append(b, '_')
		}
		b = append(b, g.word()...)
	}
	return string(b)
}

func title(w string) string {
	if w == "" {
		return w
	}
	b := []byte(w)
	if b[0] >= 'a' && b[0] <= 'z' {
		b[0] -= 'a' - 'A'
	}
	return string(b)
}

func (g *phpGen) camel(n int) string {
	s := g.word()
	for i := 1; i < n; i++ {
		s += title(g.word())
	}
	return s
}

func (g *phpGen) pascal(n int) string {
	s := ""
	for i := 0; i < n; i++ {
		s += title(g.word())
	}
	return s
}

func (g *phpGen) ident() string {
	if g.r.pct(50) {
		return g.snake(g.r.between(1, 3))
	}
	return g.camel(g.r.between(1, 3))
}

func (g *phpGen) variable() string { return "$" + g.ident() }

func (g *phpGen) sentence(lo, hi int) string {
	n := g.r.between(lo, hi)
	b := []byte(title(g.word()))
	for i := 1; i < n; i++ {
		b = append(b, ' ')
		b = append(b, g.word()...)
	}
	b = append(b, '.')
	return string(b)
}

func (g *phpGen) str() string {
	switch g.r.intn(6) {
	case 0:
		return "'" + g.sentence(2, 7) + "'"
	case 1:
		return "'" + g.snake(g.r.between(1, 3)) + "'"
	case 2:
		return "'%s " + g.word() + " %d'"
	case 3:
		return "\"" + g.word() + "-{$" + g.word() + "}\""
	case 4:
		return "'" + g.word() + "/" + g.word() + "." + pick(g.r, []string{"php", "js", "css", "png"}) + "'"
	default:
		return "'" + g.word() + "'"
	}
}

func (g *phpGen) expr(depth int) string {
	switch n := g.r.intn(10); {
	case n < 2:
		return g.variable()
	case n < 4:
		return g.str()
	case n < 5:
		return strconv.Itoa(g.r.between(0, 1000))
	case n < 6:
		return "$this->" + g.ident()
	case n < 7:
		return pick(g.r, []string{"true", "false", "null", "array()", "[]", "PHP_EOL", "self::" + upper(g.snake(2))})
	default:
		if depth > 2 {
			return g.variable()
		}
		return g.call(depth + 1)
	}
}

func upper(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'a' && c <= 'z' {
			b[i] = c - ('a' - 'A')
		}
	}
	return string(b)
}

func (g *phpGen) call(depth int) string {
	var f string
	switch g.r.intn(4) {
	case 0:
		f = "$this->" + g.camel(g.r.between(1, 3))
	case 1:
		f = g.pascal(g.r.between(1, 2)) + "::" + g.camel(g.r.between(1, 2))
	default:
		f = pick(g.r, phpFuncs)
	}
	n := g.r.between(0, 3)
	s := f + "("
	for i := 0; i < n; i++ {
		if i > 0 {
			s += ","
		}
		s += " " + g.expr(depth)
	}
	if n > 0 {
		s += " "
	}
	return s + ")"
}

func (g *phpGen) docblock(params int, ret bool) {
	g.s("/**")
	g.nl()
	g.s(" * " + g.sentence(4, 12))
	g.nl()
	if g.r.pct(40) {
		g.s(" *")
		g.nl()
		g.s(" * " + g.sentence(8, 20))
		g.nl()
	}
	g.s(" *")
	g.nl()
	if g.r.pct(50) {
		g.s(" * @since " + strconv.Itoa(g.r.between(2, 6)) + "." + strconv.Itoa(g.r.between(0, 9)) + ".0")
		g.nl()
	}
	for i := 0; i < params; i++ {
		g.s(" * @param " + pick(g.r, phpTypes) + " $" + g.ident() + " " + g.sentence(3, 8))
		g.nl()
	}
	if ret {
		g.s(" * @return " + pick(g.r, phpTypes) + " " + g.sentence(3, 8))
		g.nl()
	}
	g.s(" */")
	g.nl()
}

func (g *phpGen) statement(depth int) {
	switch n := g.r.intn(20); {
	case n < 5:
		g.s(g.variable() + " = " + g.expr(0) + ";")
	case n < 7:
		g.s("$this->" + g.ident() + " = " + g.expr(0) + ";")
	case n < 9:
		g.s(g.call(0) + ";")
	case n < 10:
		g.s("// " + g.sentence(3, 12))
	case n < 11:
		v := g.variable()
		g.s(v + " .= '<" + pick(g.r, htmlTags) + " class=\"" + g.word() + "-" + g.word() + "\">' . esc_html( " + g.variable() + " ) . '</" + pick(g.r, htmlTags) + ">';")
	case n < 12:
		g.s(g.variable() + "['" + g.snake(g.r.between(1, 2)) + "'] = " + g.expr(0) + ";")
	case n < 13:
		g.s("throw new " + pick(g.r, exceptions) + "( sprintf( '" + g.sentence(2, 6) + " %s', " + g.variable() + " ) );")
	case n < 15 && depth < 3:
		g.s("if ( " + pick(g.r, []string{"! empty( ", "isset( ", "is_array( ", "null === ( ", "! "}) + g.variable() + " ) ) {")
		g.block(depth+1, 1, 4)
		if g.r.pct(30) {
			g.s(" else {")
			g.block(depth+1, 1, 3)
		}
	case n < 17 && depth < 3:
		g.s("foreach ( " + g.variable() + " as " + g.variable() + " => " + g.variable() + " ) {")
		g.block(depth+1, 1, 5)
	case n < 18 && depth < 2:
		g.s("try {")
		g.block(depth+1, 1, 3)
		g.s(" catch ( " + pick(g.r, exceptions) + " $e ) {")
		g.block(depth+1, 1, 2)
	case n < 19 && depth < 2:
		g.s("switch ( " + g.variable() + " ) {")
		g.indent++
		for i := g.r.between(2, 5); i > 0; i-- {
			g.nl()
			g.s("case '" + g.word() + "':")
			g.indent++
			g.nl()
			g.statement(depth + 2)
			g.nl()
			g.s("break;")
			g.indent--
		}
		g.indent--
		g.nl()
		g.s("}")
	default:
		g.s("return " + g.expr(0) + ";")
	}
}

func (g *phpGen) block(depth, lo, hi int) {
	g.indent++
	for i := g.r.between(lo, hi); i > 0; i-- {
		g.nl()
		g.statement(depth)
	}
	g.indent--
	g.nl()
	g.s("}")
}

func (g *phpGen) function(method bool) {
	params := g.r.between(0, 3)
	g.docblock(params, g.r.pct(70))
	if method {
		g.s(pick(g.r, []string{"public ", "public ", "protected ", "private ", "public static "}))
	}
	g.s("function " + g.ident() + "(")
	for i := 0; i < params; i++ {
		if i > 0 {
			g.s(",")
		}
		g.s(" ")
		if g.r.pct(40) {
			g.s(pick(g.r, phpTypes[:4]) + " ")
		}
		g.s("$" + g.ident())
		if g.r.pct(30) {
			g.s(" = " + pick(g.r, []string{"null", "array()", "''", "false", "0", "true"}))
		}
	}
	if params > 0 {
		g.s(" ")
	}
	g.s(") {")
	g.block(0, 2, 12)
	g.nl()
}

func (g *phpGen) class() {
	name := g.pascal(g.r.between(1, 3))
	g.docblock(0, false)
	if g.r.pct(15) {
		g.s("abstract ")
	}
	g.s("class " + name)
	if g.r.pct(40) {
		g.s(" extends " + g.pascal(g.r.between(1, 2)))
	}
	if g.r.pct(25) {
		g.s(" implements " + g.pascal(g.r.between(1, 2)) + "Interface")
	}
	g.s(" {")
	g.indent++
	g.nl()
	for i := g.r.between(0, 3); i > 0; i-- {
		g.nl()
		g.s("const " + upper(g.snake(g.r.between(1, 3))) + " = " + g.str() + ";")
	}
	for i := g.r.between(1, 6); i > 0; i-- {
		g.nl()
		g.s("/**")
		g.nl()
		g.s(" * @var " + pick(g.r, phpTypes) + " " + g.sentence(2, 6))
		g.nl()
		g.s(" */")
		g.nl()
		g.s(pick(g.r, []string{"public", "protected", "private", "public static", "protected static"}) + " $" + g.ident())
		if g.r.pct(50) {
			g.s(" = " + g.expr(2))
		}
		g.s(";")
		g.nl()
	}
	for i := g.r.between(1, 14); i > 0 && !g.full(); i-- {
		g.nl()
		g.function(true)
	}
	g.indent--
	g.nl()
	g.s("}")
	g.nl()
}

func (g *phpGen) arrayDef() {
	closer := "];"
	if g.r.pct(50) {
		g.s("$" + g.snake(g.r.between(1, 3)) + " = array(")
		closer = ");"
	} else {
		g.s("return [")
	}
	g.indent++
	for i := g.r.between(4, min(60, max(4, (g.target-len(g.b))/40))); i > 0; i-- {
		g.nl()
		g.s("'" + g.snake(g.r.between(1, 3)) + "' => " + g.expr(2) + ",")
	}
	g.indent--
	g.nl()
	g.s(closer)
	g.nl()
}

func (g *phpGen) template() {
	g.s("?>")
	g.nl()
	for i := g.r.between(3, min(20, max(3, (g.target-len(g.b))/60))); i > 0; i-- {
		t := pick(g.r, htmlTags)
		g.s("<" + t + " class=\"" + g.word() + "-" + g.word() + "\">")
		switch g.r.intn(3) {
		case 0:
			g.s("<?php echo esc_html( " + g.variable() + " ); ?>")
		case 1:
			g.s("<?php _e( '" + g.sentence(1, 5) + "', '" + g.word() + "' ); ?>")
		default:
			g.s(g.sentence(2, 9))
		}
		g.s("</" + t + ">")
		g.nl()
	}
	g.s("<?php")
	g.nl()
}

func (g *phpGen) langTable() {
	v := "$" + pick(g.r, []string{"lang", "strings", "messages", "l"})
	for i := g.r.between(10, min(80, max(10, (g.target-len(g.b))/50))); i > 0; i-- {
		g.s(v + "['" + upper(g.snake(g.r.between(1, 3))) + "'] = '" + g.sentence(2, 10) + "';")
		g.nl()
	}
}

// genPHP returns synthetic PHP of about size bytes (it stops at the first
// construct boundary past size).
func genPHP(r *rng, size int, dst []byte) []byte {
	g := &phpGen{r: r, b: dst[:0], target: size}
	g.s("<?php")
	g.nl()
	g.docblock(0, false)
	g.nl()
	if r.pct(50) {
		ns := pick(r, nsRoots) + "\\" + g.pascal(1)
		if r.pct(50) {
			ns += "\\" + g.pascal(1)
		}
		g.s("namespace " + ns + ";")
		g.nl()
		g.nl()
		for i := r.between(0, 6); i > 0; i-- {
			g.s("use " + pick(r, nsRoots) + "\\" + g.pascal(1) + "\\" + g.pascal(r.between(1, 2)) + ";")
			g.nl()
		}
		g.nl()
	} else if r.pct(50) {
		g.s("defined( '" + pick(r, []string{"ABSPATH", "_JEXEC", "IN_APP", "PHPMYADMIN"}) + "' ) || exit;")
		g.nl()
		g.nl()
	}
	for !g.full() {
		n := r.intn(20)
		if g.target-len(g.b) < 1500 {
			n = 9 + r.intn(11) // small remainder: no class
		}
		switch {
		case n < 9:
			g.class()
		case n < 14:
			g.function(false)
		case n < 16:
			g.arrayDef()
		case n < 18:
			g.template()
		case n < 19:
			g.langTable()
		default:
			g.s("define( '" + upper(g.snake(r.between(1, 3))) + "', " + g.str() + " );")
			g.nl()
		}
		g.nl()
	}
	return g.b
}
