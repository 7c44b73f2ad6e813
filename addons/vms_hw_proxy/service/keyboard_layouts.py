"""Keyboard layouts of keyboard-wedge (evdev) scanners.

A USB scanner in keyboard mode "types" what it reads; the proxy gets Linux
key codes and must know which character each key gives on the layout the
scanner is set to. ``KEYBOARD_LAYOUTS`` maps a layout name to
``{key code: (plain, shifted)}``; ``ALTGR`` holds the AltGr characters.
"""

# Linux input key codes (linux/input-event-codes.h) -> (plain, shift) on a US keyboard.
_US = {
    2: ("1", "!"),
    3: ("2", "@"),
    4: ("3", "#"),
    5: ("4", "$"),
    6: ("5", "%"),
    7: ("6", "^"),
    8: ("7", "&"),
    9: ("8", "*"),
    10: ("9", "("),
    11: ("0", ")"),
    12: ("-", "_"),
    13: ("=", "+"),
    26: ("[", "{"),
    27: ("]", "}"),
    39: (";", ":"),
    40: ("'", '"'),
    41: ("`", "~"),
    43: ("\\", "|"),
    51: (",", "<"),
    52: (".", ">"),
    53: ("/", "?"),
    57: (" ", " "),
    86: ("\\", "|"),
    # keypad
    55: ("*", "*"),
    71: ("7", "7"),
    72: ("8", "8"),
    73: ("9", "9"),
    74: ("-", "-"),
    75: ("4", "4"),
    76: ("5", "5"),
    77: ("6", "6"),
    78: ("+", "+"),
    79: ("1", "1"),
    80: ("2", "2"),
    81: ("3", "3"),
    82: ("0", "0"),
    83: (".", "."),
    98: ("/", "/"),
}
for _codes, _letters in ((range(16, 26), "qwertyuiop"), (range(30, 39), "asdfghjkl")):
    _US.update({code: (char, char.upper()) for code, char in zip(_codes, _letters, strict=True)})
_US.update(
    {code: (char, char.upper()) for code, char in zip(range(44, 51), "zxcvbnm", strict=True)}
)

_FR = dict(_US)
_FR.update(dict(zip(range(2, 12), zip("&é\"'(-è_çà", "1234567890", strict=True), strict=True)))
_FR.update(
    {
        12: (")", "°"),
        13: ("=", "+"),
        16: ("a", "A"),
        17: ("z", "Z"),
        26: ("^", "¨"),
        27: ("$", "£"),
        30: ("q", "Q"),
        39: ("m", "M"),
        40: ("ù", "%"),
        41: ("²", "²"),
        43: ("*", "µ"),
        44: ("w", "W"),
        50: (",", "?"),
        51: (";", "."),
        52: (":", "/"),
        53: ("!", "§"),
        86: ("<", ">"),
    }
)

_DE = dict(_US)
_DE.update(dict(zip(range(2, 12), zip("1234567890", '!"§$%&/()=', strict=True), strict=True)))
_DE.update(
    {
        12: ("ß", "?"),
        13: ("´", "`"),
        21: ("z", "Z"),
        26: ("ü", "Ü"),
        27: ("+", "*"),
        39: ("ö", "Ö"),
        40: ("ä", "Ä"),
        41: ("^", "°"),
        43: ("#", "'"),
        44: ("y", "Y"),
        51: (",", ";"),
        52: (".", ":"),
        53: ("-", "_"),
        86: ("<", ">"),
    }
)

KEYBOARD_LAYOUTS = {"us": _US, "fr": _FR, "de": _DE}
# AltGr (right Alt) characters a scanner may type for GS1 or URL content.
ALTGR = {
    "us": {},
    "fr": {3: "~", 4: "#", 5: "{", 6: "[", 7: "|", 8: "`", 9: "\\", 11: "@", 12: "]", 13: "}"},
    "de": {8: "{", 9: "[", 10: "]", 11: "}", 12: "\\", 16: "@", 27: "~", 86: "|"},
}
SHIFT_KEYS = {42, 54}  # KEY_LEFTSHIFT, KEY_RIGHTSHIFT
ALTGR_KEY = 100  # KEY_RIGHTALT
ENTER_KEYS = {28, 96}  # KEY_ENTER, KEY_KPENTER
KEY_UP, KEY_DOWN = 0, 1
