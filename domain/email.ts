/**
 * The one form of an email that is stored and compared: Unicode NFKC, then lower case. Compatibility forms (a Kelvin
 * sign for k, full-width letters) therefore name the same member as their plain letters, on purpose: a till or app
 * that sends them means that member.
 */
export function normalizeEmail(email: string): string {
  return email.trim().normalize('NFKC').toLowerCase();
}
