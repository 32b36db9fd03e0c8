import { TransformerRegistry } from '../registry.js';
import { address } from './address.js';
import { city } from './city.js';
import { company } from './company.js';
import { constant } from './constant.js';
import { country } from './country.js';
import { creditCard } from './credit-card.js';
import { customTransformer } from './custom.js';
import { customWasm } from './custom-wasm.js';
import { dateShift } from './date-shift.js';
import { email } from './email.js';
import { firstName } from './first-name.js';
import { fullName } from './full-name.js';
import { hash } from './hash.js';
import { ipAddress } from './ip-address.js';
import { jsonTransformer } from './json.js';
import { keepFirstChar } from './keep-first-char.js';
import { lastName } from './last-name.js';
import { lorem } from './lorem.js';
import { mask } from './mask.js';
import { nullTransformer } from './null.js';
import { numberNoise } from './number-noise.js';
import { phoneNumber } from './phone-number.js';
import { random } from './random.js';
import { randomDate } from './random-date.js';
import { redacted } from './redacted.js';
import { template } from './template.js';
import { transient } from './transient.js';
import { url } from './url.js';
import { username } from './username.js';
import { uuid } from './uuid.js';
import { zipCode } from './zip-code.js';
import { choice } from './choice.js';
import { generalize } from './generalize.js';
import { macAddress } from './mac-address.js';
import { randomNumber } from './random-number.js';
import { regexReplace } from './regex-replace.js';
import { latitude, longitude } from './coordinates.js';
import { timezone } from './timezone.js';
import { currency } from './currency.js';
import { countryCode } from './country-code.js';
import { state } from './state.js';
import { bic, iban } from './bank.js';
import { jobTitle } from './job-title.js';
import { userAgent } from './user-agent.js';
import { domainName } from './domain-name.js';
import { dict } from './dict.js';

/** The registry of every built-in transformer: the original's names first, then ours. */
export function builtinTransformers(): TransformerRegistry {
  const registry = new TransformerRegistry()
    .register(transient)
    .register(random)
    .register(firstName)
    .register(email)
    .register(phoneNumber)
    .register(creditCard)
    .register(keepFirstChar)
    .register(redacted)
    .register(customWasm)
    .register(randomDate)
    .register(lastName)
    .register(fullName)
    .register(username)
    .register(address)
    .register(city)
    .register(zipCode)
    .register(country)
    .register(company)
    .register(ipAddress)
    .register(uuid)
    .register(url)
    .register(lorem)
    .register(hash)
    .register(nullTransformer)
    .register(constant)
    .register(template)
    .register(dateShift)
    .register(numberNoise)
    .register(mask)
    .register(regexReplace)
    .register(choice)
    .register(generalize)
    .register(randomNumber)
    .register(macAddress)
    .register(latitude)
    .register(longitude)
    .register(timezone)
    .register(currency)
    .register(countryCode)
    .register(state)
    .register(iban)
    .register(bic)
    .register(jobTitle)
    .register(userAgent)
    .register(domainName)
    .register(dict);
  registry.register(customTransformer(registry.customModules));
  registry.register(jsonTransformer(() => registry));
  return registry;
}
