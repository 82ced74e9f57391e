package connection

// NoticeVersion is the version of NoticeText. Change it whenever the text
// changes in substance: consent records the version an admin agreed to.
const NoticeVersion = "2026-11-01"

// NoticeText is the privacy and compliance notice an admin must agree to
// before a connection is saved.
const NoticeText = `Privacy and compliance notice (version ` + NoticeVersion + `)

Exports on this connection send personal data of the profiles in the
exported segments to Omnisend, a third party outside this installation:
their e-mail addresses, the attributes the export maps (such as names,
address, phone, birthdate, gender, custom properties, consent status) and a
tag per segment. Omnisend then holds and processes that data under its own
terms and privacy policy, in its own locations.

By agreeing you confirm that you have the right to share this data with
Omnisend for marketing use: a lawful basis (such as consent) for every
person exported, agreements (such as a data processing agreement) with
Omnisend where the law requires them, and that your privacy notice to these
people covers it. segbridge does not check any of this for you. Your name,
the time and this notice's version are recorded with the connection.`
