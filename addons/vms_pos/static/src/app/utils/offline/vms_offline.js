/**
 * What a till needs to trust a voucher while the server is unreachable:
 * the signed payload of its QR code (`CODE.PAYLOAD.SIGNATURE`, see
 * vms_loyalty/models/vms_signing_key.py), verified with WebCrypto against
 * the public keys loaded with the POS data, and a ledger of what this till
 * accepted offline, kept in the browser (localStorage) so that a reload
 * does not let the same balance be spent twice on the same till.
 */

const ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ";

function b64urlToBytes(text) {
    const base64 = text.replace(/-/g, "+").replace(/_/g, "/");
    const padded = base64 + "=".repeat((4 - (base64.length % 4)) % 4);
    const binary = atob(padded);
    return Uint8Array.from(binary, (char) => char.charCodeAt(0));
}

/** `{code, payload, signature, claims}` of a signed QR text, or null. */
export function parseSigned(text) {
    if (typeof text !== "string" || text.length > 2048) {
        return null;
    }
    const parts = text.trim().split(".");
    if (parts.length !== 3 || parts.some((part) => !part)) {
        return null;
    }
    const [code, payload, signature] = parts;
    try {
        const claims = JSON.parse(new TextDecoder().decode(b64urlToBytes(payload)));
        if (!claims || typeof claims !== "object") {
            return null;
        }
        return { code, payload, signature, claims, text: text.trim() };
    } catch {
        return null;
    }
}

/** Luhn mod 32 over the body, as tools/codes.py. */
export function checkCharacterValid(code, prefix, length) {
    if (!prefix || !code.startsWith(prefix) || code.length !== prefix.length + length) {
        return false;
    }
    const body = code.slice(prefix.length);
    let total = 0;
    const reversed = [...body.slice(0, -1)].reverse();
    for (const [index, char] of reversed.entries()) {
        const pos = ALPHABET.indexOf(char);
        if (pos < 0) {
            return false;
        }
        total += index % 2 === 0 ? Math.floor((2 * pos) / 32) + ((2 * pos) % 32) : pos;
    }
    return ALPHABET[(32 - (total % 32)) % 32] === body.at(-1);
}

export function webCryptoAvailable() {
    return Boolean(window.isSecureContext && window.crypto?.subtle);
}

/** True when the signature of `signed` verifies with the key `key` (JWK parts). */
export async function verifySignature(signed, key) {
    const publicKey = await window.crypto.subtle.importKey(
        "jwk",
        { kty: "EC", crv: "P-256", x: key.public_x, y: key.public_y, ext: true },
        { name: "ECDSA", namedCurve: "P-256" },
        false,
        ["verify"]
    );
    const data = new TextEncoder().encode(`${signed.code}.${signed.payload}`);
    return await window.crypto.subtle.verify(
        { name: "ECDSA", hash: "SHA-256" },
        publicKey,
        b64urlToBytes(signed.signature),
        data
    );
}

/** Today at the store, as YYYY-MM-DD. */
export function storeToday(tz) {
    try {
        return new Intl.DateTimeFormat("en-CA", { timeZone: tz || "UTC" }).format(new Date());
    } catch {
        return new Date().toISOString().slice(0, 10);
    }
}

/**
 * The offline ledger of one till session: payment uuid -> {code, amount}.
 * Kept in localStorage, so that it survives a reload or a closed tab.
 */
export class OfflineLedger {
    constructor(key) {
        this.key = `vms_pos_offline_ledger:${key}`;
    }

    entries() {
        try {
            return JSON.parse(window.localStorage.getItem(this.key) || "{}");
        } catch {
            return {};
        }
    }

    save(entries) {
        window.localStorage.setItem(this.key, JSON.stringify(entries));
    }

    add(paymentUuid, code, amount) {
        this.save({ ...this.entries(), [paymentUuid]: { code, amount } });
    }

    remove(paymentUuid) {
        const entries = this.entries();
        delete entries[paymentUuid];
        this.save(entries);
    }

    spentOn(code, exceptUuid = null) {
        return Object.entries(this.entries())
            .filter(([uuid, entry]) => entry.code === code && uuid !== exceptUuid)
            .reduce((sum, [, entry]) => sum + entry.amount, 0);
    }

    total(exceptUuid = null) {
        return Object.entries(this.entries())
            .filter(([uuid]) => uuid !== exceptUuid)
            .reduce((sum, [, entry]) => sum + entry.amount, 0);
    }
}
