// A small form renderer a reception system might write against the types openapi-typescript
// generates from /api/schema/ (written next to this file as api.d.ts by the test). It must
// compile with `tsc --strict`: every property it reads is typed, none is `unknown`.
import type { components } from "./api";

type Schemas = components["schemas"];
type Question = Schemas["Question"];
type Choice = Schemas["Choice"];

function escape(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

function option(choice: Choice, input: "radio" | "checkbox", name: string): string {
  const value: string = choice.value;
  const label: string = choice.label;
  return `<label><input type="${input}" name="${escape(name)}" value="${escape(value)}">${escape(label)}</label>`;
}

export function renderQuestion(question: Question, prefix = ""): string {
  const name = prefix + question.field;
  const legend = `<legend>${escape(question.text)}${question.required ? " *" : ""}</legend>`;
  switch (question.type) {
    case "integer":
      return `${legend}<input type="number" name="${escape(name)}" min="${question.minimum ?? ""}" max="${question.maximum ?? ""}">`;
    case "boolean":
      return `${legend}<input type="checkbox" name="${escape(name)}">`;
    case "choice":
      return legend + (question.choices ?? []).map((c) => option(c, "radio", name)).join("");
    case "multi_choice":
      return legend + (question.choices ?? []).map((c) => option(c, "checkbox", name)).join("");
    case "group":
      // A group's items are questions themselves, rendered the same way.
      return `<fieldset>${legend}${(question.items ?? []).map((q) => renderQuestion(q, `${name}.`)).join("")}</fieldset>`;
    case "string":
      return `${legend}<input type="text" name="${escape(name)}">`;
    case "date":
      return `${legend}<input type="date" name="${escape(name)}">`;
  }
}

export function renderForm(questionnaire: Schemas["Questionnaire"]): string {
  const questions = [...questionnaire.patient, ...questionnaire.answers];
  return `<form data-version="${escape(questionnaire.version)}">${questions.map((q) => renderQuestion(q)).join("")}</form>`;
}

// The first choice of the first choice question: the read that did not compile when `choices`
// was untyped.
export function firstChoiceValue(questionnaire: Schemas["Questionnaire"]): string | undefined {
  const withChoices = questionnaire.answers.find((q) => q.choices !== undefined);
  return withChoices?.choices?.[0]?.value;
}

// A referral's next statuses are statuses, so they can index a table keyed by status.
const STATUS_WORDS: Record<Schemas["ReferralStatusEnum"], string> = {
  open: "Open", sent: "Sent", accepted: "Accepted", booked: "Booked", attended: "Attended",
  not_attended: "Did not attend", completed: "Completed", declined: "Declined", cancelled: "Cancelled",
};

export function nextStatusButtons(referral: Schemas["ReferralDetail"]): string[] {
  return referral.legal_next.map((status) => STATUS_WORDS[status]);
}

// An event's `data` is typed by its `type`: narrowing on the type gives the data's fields.
export function describeEvent(event: Schemas["Event"]): string {
  switch (event.type) {
    case "referral.transitioned":
      return `${STATUS_WORDS[event.data.from]} → ${STATUS_WORDS[event.data.to]}`;
    case "referral.opened":
    case "referral.amended":
      return `${event.data.service} (${event.data.urgency})`;
    case "assessment.created":
      return `${event.data.disposition}/${event.data.urgency}`;
    case "review.created":
      return event.data.overridden ? "overridden" : "confirmed";
    case "intake.created":
      return event.data.questionnaire_version;
    case "ruleset.activated":
      return `${event.data.previous_version} → ${event.data.version}`;
  }
}

export function intakeSummary(intake: Schemas["Intake"]): string {
  const decision = intake.assessment;
  const referral = intake.referral ? ` referral ${intake.referral.status}` : "";
  return `${intake.id}: ${decision.disposition}/${decision.urgency}/${decision.service}${referral}`;
}
