import {createHash} from 'node:crypto'

/** What a hosted page answers: the server writes it as it is. */
export interface PageResponse {
  status: number
  headers: Record<string, string>
  body: string
}

const CSS = `
*{box-sizing:border-box}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1a1f36;background:#f6f8fa}
main{max-width:960px;margin:0 auto;padding:32px 20px;display:grid;gap:32px;grid-template-columns:1fr 1fr;align-items:start}
main.single{grid-template-columns:1fr;max-width:720px}
@media (max-width:760px){main{grid-template-columns:1fr}}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:0 0 12px}h2.spaced{margin-top:24px}
.muted{color:#697386;font-size:14px}
.banner{background:#fff4e5;color:#8a4b00;font-size:13px;text-align:center;padding:6px}
section,form.card{background:#fff;border:1px solid #e3e8ee;border-radius:8px;padding:20px}
.total{font-size:32px;font-weight:600;margin:8px 0}
table{width:100%;border-collapse:collapse;font-size:14px}td,th{padding:8px 4px;border-bottom:1px solid #eef1f4;text-align:left}
td.num,th.num{text-align:right}
label{display:block;font-size:14px;font-weight:500;margin:14px 0 4px}
input[type=text],input[type=email]{width:100%;padding:10px 12px;font:inherit;border:1px solid #cfd7df;border-radius:6px}
input:focus{outline:2px solid #635bff;outline-offset:1px}
.row{display:grid;grid-template-columns:1fr 1fr;gap:12px}
button{margin-top:20px;width:100%;padding:12px;font:inherit;font-weight:600;color:#fff;background:#635bff;border:0;border-radius:6px;cursor:pointer}
button.secondary{background:#fff;color:#cd3d64;border:1px solid #cd3d64}
.error{background:#fdecef;color:#a4133c;border-radius:6px;padding:10px 12px;margin:12px 0 0}
.notice{background:#e6f4ea;color:#1e6b34;border-radius:6px;padding:10px 12px}
.hints{font-size:13px;color:#3c4257;margin-top:16px}.hints code{background:#f1f3f5;padding:1px 4px;border-radius:4px}
fieldset{border:0;padding:0;margin:0}legend{font-weight:500;font-size:14px}
.choice{display:flex;gap:8px;align-items:center;margin:6px 0}
a{color:#635bff}
.brand{text-transform:capitalize}
`.trim()

const STYLE_HASH = createHash('sha256').update(CSS).digest('base64')

export function escape(text: unknown): string {
  // eslint-disable-next-line @typescript-eslint/no-base-to-string -- fed untyped record fields, which hold strings and numbers
  return String(text ?? '')
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;')
}

/**
 * A whole page: no script at all, one inline stylesheet allowed by its hash, forms posting only
 * to this page and to the redirect targets given (SB-P1).
 */
export function page(
  title: string,
  body: string,
  options: {status?: number; formTargets?: string[]; layout?: 'single' | 'split'} = {},
): PageResponse {
  const targets = [...new Set((options.formTargets ?? []).map(originOf).filter(Boolean))].join(' ')
  const csp = [
    "default-src 'none'",
    `style-src 'sha256-${STYLE_HASH}'`,
    `form-action 'self'${targets ? ` ${targets}` : ''}`,
    "frame-ancestors 'none'",
    "base-uri 'none'",
  ].join('; ')
  const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${escape(title)}</title>
<style>${CSS}</style>
</head>
<body>
<div class="banner">Test mode: stripe-seed emulator</div>
<main class="${options.layout === 'split' ? '' : 'single'}">
${body}
</main>
</body>
</html>
`
  return {
    status: options.status ?? 200,
    headers: {
      'Content-Type': 'text/html; charset=utf-8',
      'Content-Security-Policy': csp,
      'X-Content-Type-Options': 'nosniff',
      'Cache-Control': 'no-store',
    },
    body: html,
  }
}

export function redirect(location: string): PageResponse {
  return {status: 303, headers: {Location: location, 'Cache-Control': 'no-store'}, body: ''}
}

function originOf(url: string): string {
  try {
    return new URL(url).origin
  } catch {
    return ''
  }
}

/** Money as a customer reads it: `$12.00`, `€9.50`, else `12.00 GBP`-style with the code. */
export function money(amount: number, currency: string): string {
  try {
    return new Intl.NumberFormat('en-US', {style: 'currency', currency: currency.toUpperCase()}).format(amount / 100)
  } catch {
    return `${(amount / 100).toFixed(2)} ${currency.toUpperCase()}`
  }
}

export function day(seconds: number): string {
  return new Date(seconds * 1000).toLocaleDateString('en-US', {
    year: 'numeric',
    month: 'long',
    day: 'numeric',
    timeZone: 'UTC',
  })
}

/** The labelled card fields both pages use, refilled with what was typed (SB-P6). */
export function cardFields(values: {number?: string; expiry?: string; cvc?: string; name?: string}): string {
  return `
<label for="card-number">Card number</label>
<input type="text" id="card-number" name="card_number" inputmode="numeric" autocomplete="cc-number" placeholder="1234 1234 1234 1234" required value="${escape(values.number)}">
<div class="row">
<div><label for="card-expiry">Expiry (MM / YY)</label>
<input type="text" id="card-expiry" name="card_expiry" inputmode="numeric" autocomplete="cc-exp" placeholder="MM / YY" required value="${escape(values.expiry)}"></div>
<div><label for="card-cvc">CVC</label>
<input type="text" id="card-cvc" name="card_cvc" inputmode="numeric" autocomplete="cc-csc" placeholder="123" required value="${escape(values.cvc)}"></div>
</div>
<label for="card-name">Cardholder name</label>
<input type="text" id="card-name" name="card_name" autocomplete="cc-name" placeholder="Full name on card" required value="${escape(values.name)}">`
}
