/**
 * Coupon codes: 16 characters from an alphabet without look-alikes (no 0/O, 1/I/L), about 79 bits of randomness,
 * shown in groups of four. Matching is case-insensitive and ignores separators.
 */
export const COUPON_ALPHABET = '23456789ABCDEFGHJKMNPQRSTUVWXYZ';
export const COUPON_LENGTH = 16;

/** The canonical form used for storage and lookup, or undefined when the text cannot be one of our codes. */
export function normalizeCouponCode(text: string): string | undefined {
  const compact = text.toUpperCase().replace(/[\s-]/g, '');
  if (compact.length !== COUPON_LENGTH) return undefined;
  for (const char of compact) if (!COUPON_ALPHABET.includes(char)) return undefined;
  return compact.match(/.{4}/g)!.join('-');
}

/** Builds a code from random bytes, rejecting bytes that would bias the alphabet. */
export function couponCodeFromRandomBytes(nextBytes: () => Uint8Array): string {
  const limit = 256 - (256 % COUPON_ALPHABET.length);
  let code = '';
  while (code.length < COUPON_LENGTH) {
    for (const byte of nextBytes()) {
      if (byte < limit && code.length < COUPON_LENGTH) code += COUPON_ALPHABET[byte % COUPON_ALPHABET.length];
    }
  }
  return code.match(/.{4}/g)!.join('-');
}
