"""Documents the office hands to others, built from the register: the diary listing, the
board's report list, the annual Finsam follow-up sheet and the e-archive package."""
