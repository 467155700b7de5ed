package phone

// reasonPhrases are the reason phrases of the SIP status codes: RFC 3261 21 and the
// extensions the phone meets (RFC 3515 REFER, RFC 4028 session timers, RFC 6665 events,
// RFC 3903, RFC 4412, RFC 3329, RFC 3312, RFC 6228).
var reasonPhrases = map[int]string{
	100: "Trying",
	180: "Ringing",
	181: "Call Is Being Forwarded",
	182: "Queued",
	183: "Session Progress",
	199: "Early Dialog Terminated",

	200: "OK",
	202: "Accepted",
	204: "No Notification",

	300: "Multiple Choices",
	301: "Moved Permanently",
	302: "Moved Temporarily",
	305: "Use Proxy",
	380: "Alternative Service",

	400: "Bad Request",
	401: "Unauthorized",
	402: "Payment Required",
	403: "Forbidden",
	404: "Not Found",
	405: "Method Not Allowed",
	406: "Not Acceptable",
	407: "Proxy Authentication Required",
	408: "Request Timeout",
	410: "Gone",
	412: "Conditional Request Failed",
	413: "Request Entity Too Large",
	414: "Request-URI Too Long",
	415: "Unsupported Media Type",
	416: "Unsupported URI Scheme",
	417: "Unknown Resource-Priority",
	420: "Bad Extension",
	421: "Extension Required",
	422: "Session Interval Too Small",
	423: "Interval Too Brief",
	480: "Temporarily Unavailable",
	481: "Call/Transaction Does Not Exist",
	482: "Loop Detected",
	483: "Too Many Hops",
	484: "Address Incomplete",
	485: "Ambiguous",
	486: "Busy Here",
	487: "Request Terminated",
	488: "Not Acceptable Here",
	489: "Bad Event",
	491: "Request Pending",
	493: "Undecipherable",
	494: "Security Agreement Required",

	500: "Server Internal Error",
	501: "Not Implemented",
	502: "Bad Gateway",
	503: "Service Unavailable",
	504: "Server Time-out",
	505: "Version Not Supported",
	513: "Message Too Large",
	580: "Precondition Failure",

	600: "Busy Everywhere",
	603: "Decline",
	604: "Does Not Exist Anywhere",
	606: "Not Acceptable",
}

// classPhrases name each class of status (the headings of RFC 3261 21), for a code
// without a phrase of its own: a peer treats an unknown code as its class's x00 (RFC
// 3261 8.1.3.2), so the phrase must not name another status.
var classPhrases = [...]string{1: "Provisional", 2: "Successful", 3: "Redirection", 4: "Request Failure", 5: "Server Failure", 6: "Global Failure"}

// reasonPhrase is the reason phrase we send with a status: its own, or its class's.
func reasonPhrase(code int) string {
	if r, ok := reasonPhrases[code]; ok {
		return r
	}
	if code >= 100 && code < 700 {
		return classPhrases[code/100]
	}
	return "Unknown"
}
