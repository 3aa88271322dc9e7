/** ISO 4217 minor-unit digits of the currencies we accept. Money is always an integer of minor units. */
const MINOR_UNITS: Record<string, number> = {
  AED: 2,
  AUD: 2,
  BHD: 3,
  CAD: 2,
  CHF: 2,
  CNY: 2,
  DKK: 2,
  EGP: 2,
  EUR: 2,
  GBP: 2,
  HKD: 2,
  INR: 2,
  JOD: 3,
  JPY: 0,
  KRW: 0,
  KWD: 3,
  MAD: 2,
  NOK: 2,
  NZD: 2,
  OMR: 3,
  QAR: 2,
  SAR: 2,
  SEK: 2,
  SGD: 2,
  TND: 3,
  TRY: 2,
  USD: 2,
  ZAR: 2,
};

export const SUPPORTED_CURRENCIES = Object.keys(MINOR_UNITS);

export function isSupportedCurrency(code: string): boolean {
  return code in MINOR_UNITS;
}

export function minorUnits(code: string): number {
  const digits = MINOR_UNITS[code];
  if (digits === undefined) throw new Error(`Unsupported currency ${code}`);
  return digits;
}

/** Formats integer minor units for people, e.g. 1050 SAR → "10.50 SAR", 1500 KWD → "1.500 KWD". */
export function formatMoney(amountMinor: number, currency: string): string {
  const digits = minorUnits(currency);
  const sign = amountMinor < 0 ? '-' : '';
  const absolute = Math.abs(amountMinor)
    .toString()
    .padStart(digits + 1, '0');
  const major = digits === 0 ? absolute : `${absolute.slice(0, -digits)}.${absolute.slice(-digits)}`;
  return `${sign}${major} ${currency}`;
}
