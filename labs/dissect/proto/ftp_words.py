"""FTP's vocabulary in plain words: what each command asks and what each
reply code means (RFC 959 section 4.2), for the fields and the narration."""

from __future__ import annotations

#: What the commands a learner meets mean, in plain words.
COMMANDS = {
    "USER": "log in as this user name",
    "PASS": "the password for that user, as plain text",
    "ACCT": "account information",
    "CWD": "change to this directory",
    "CDUP": "go up one directory",
    "PWD": "which directory am I in?",
    "LIST": "list the directory (the listing comes over a data connection)",
    "NLST": "list file names only (over a data connection)",
    "MLSD": "list the directory in a machine-readable form (over a data connection)",
    "RETR": "send me this file (over a data connection)",
    "STOR": "store this file on the server (over a data connection)",
    "SIZE": "how many bytes is this file?",
    "TYPE": "transfer type: I = binary (bytes as they are), A = text",
    "PASV": "passive mode: tell me an address and port to connect to for the data",
    "EPSV": "extended passive mode: tell me just a port to connect to for the data",
    "PORT": "active mode: connect back to me at this address and port for the data",
    "EPRT": "extended active mode: connect back to me at this address and port",
    "FEAT": "which extensions do you support?",
    "SYST": "what kind of system are you?",
    "OPTS": "set an option",
    "NOOP": "do nothing (keeps the connection alive)",
    "QUIT": "goodbye: close the control connection",
    "AUTH": "switch this connection to TLS (FTPS)",
}

#: Reply codes (RFC 959 section 4.2) the lab and common servers send.
REPLIES = {
    "110": "restart marker",
    "120": "service ready soon",
    "125": "data connection already open; transfer starting",
    "150": "file status okay; about to open the data connection",
    "200": "command okay",
    "211": "system status or help",
    "213": "file status",
    "215": "system type",
    "220": "service ready for a new user",
    "221": "closing the control connection",
    "225": "data connection open",
    "226": "transfer complete; closing the data connection",
    "227": "entering passive mode",
    "229": "entering extended passive mode",
    "230": "user logged in",
    "250": "requested file action done",
    "257": "the current directory's path",
    "331": "user name okay, need a password",
    "332": "need an account",
    "350": "pending further information",
    "421": "service not available, closing the connection",
    "425": "cannot open the data connection",
    "426": "connection closed; transfer aborted",
    "450": "file unavailable (busy)",
    "500": "syntax error, command not recognised",
    "501": "syntax error in the arguments",
    "502": "command not implemented",
    "503": "bad sequence of commands",
    "504": "command not implemented for that argument",
    "530": "not logged in (wrong user name or password)",
    "550": "file unavailable (not found, or no permission)",
}

CLASSES = {
    "1": "preliminary: more replies follow",
    "2": "success",
    "3": "so far so good, more information needed",
    "4": "temporary failure: trying again later may work",
    "5": "permanent failure",
}


def reply_meaning(code: str) -> str:
    meaning = REPLIES.get(code)
    kind = CLASSES.get(code[:1], "")
    return f"{meaning} ({kind})" if meaning and kind else meaning or kind or "reply"
