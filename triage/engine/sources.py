"""Where the rules come from, as the rule table, reasons and red flags cite them."""

GIRFT_CES = "GIRFT national suspected cauda equina pathway"
ACR_LBP = "ACR Appropriateness Criteria: low back pain (2021)"
NG59 = "NICE NG59 (low back pain and sciatica in over 16s)"
QS56 = "NICE QS56 (metastatic spinal cord compression: MRI within 24 hours)"
NG65 = "NICE NG65 (spondyloarthritis: referral criteria)"
STARTBACK = "Keele STarT Back tool (Hill et al. 2008; Hill et al., Lancet 2011); NICE NG59 1.1.2"
CLINIC_POLICY = "Clinic policy (ruleset 2026.1)"
