import itertools

from odoo.tests import BaseCase, tagged

from ..tools import codes


@tagged("post_install", "-at_install")
class TestCodes(BaseCase):
    """The code service on its own: alphabet, check character, parsing."""

    def test_alphabet_has_no_look_alikes(self):
        for char in "01OIl":
            self.assertNotIn(char, codes.ALPHABET)
        self.assertEqual(len(set(codes.ALPHABET)), 32)

    def test_random_codes_shape(self):
        drawn = codes.random_codes(2000, "VMS", 12)
        self.assertEqual(len(drawn), len(set(drawn)))
        for code in drawn:
            self.assertTrue(code.startswith("VMS"))
            self.assertEqual(len(code), 15)
            self.assertEqual(codes.parse(code, "VMS", 12), code)

    def test_every_single_substitution_is_caught(self):
        code = codes.random_codes(1, "", 12)[0]
        for pos, char in itertools.product(range(len(code)), codes.ALPHABET):
            if code[pos] == char:
                continue
            mistyped = code[:pos] + char + code[pos + 1 :]
            with self.assertRaises(codes.CodeError) as caught:
                codes.parse(mistyped, "", 12)
            self.assertEqual(caught.exception.reason, "check")

    def test_adjacent_swaps_are_caught(self):
        caught = total = 0
        for code in codes.random_codes(200, "", 12):
            for pos in range(len(code) - 1):
                if code[pos] == code[pos + 1]:
                    continue
                swapped = code[:pos] + code[pos + 1] + code[pos] + code[pos + 2 :]
                total += 1
                caught += not codes.luhn_mod_n_valid(swapped)
        # Luhn mod N misses only the swap of two characters whose values sum to N-1.
        self.assertGreater(caught / total, 0.95)

    def test_parse_reasons(self):
        good = codes.random_codes(1, "GIFT", 10)[0]
        self.assertEqual(codes.parse(good.lower(), "GIFT", 10), good)
        self.assertEqual(codes.parse(f" {good[:6]}-{good[6:]} ", "GIFT", 10), good)
        cases = {
            "": "empty",
            "XXXX" + good[4:]: "prefix",
            good[:-1]: "length",
            good[:-1] + "0": "alphabet",
        }
        for code, reason in cases.items():
            with self.subTest(code=code), self.assertRaises(codes.CodeError) as caught:
                codes.parse(code, "GIFT", 10)
            self.assertEqual(caught.exception.reason, reason)

    def test_ean13(self):
        self.assertEqual(codes.ean13_check_digit("400638133393"), "1")
        payloads = codes.random_ean13s(1000)
        self.assertEqual(len(set(payloads)), 1000)
        for payload in payloads:
            self.assertTrue(payload.startswith(codes.EAN13_STORE_PREFIX))
            self.assertTrue(codes.ean13_valid(payload))
        numbers = sorted(int(payload[2:12]) for payload in payloads)
        self.assertGreater(numbers[-1] - numbers[0], 10**8)
        self.assertFalse(codes.ean13_valid("2900000000427"))
