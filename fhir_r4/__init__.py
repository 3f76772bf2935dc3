"""The FHIR R4 interface under /fhir/R4/: the intake questionnaire, responses to it, and what
the service decides, as FHIR resources. It stores and reads through triage and referrals, so a
QuestionnaireResponse is validated, stored, scoped and audited exactly as POST /api/v1/intakes/.

The package is `fhir_r4`, not `fhir`: the fhir.resources library installs a top-level `fhir`
package, which an app of that name would hide.
"""
