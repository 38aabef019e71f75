"""Who is this? Search every stored face for a person from a reference photo (`search`), with a
calibrated confidence (`confidence`), over an exact, cached encoding matrix (`matrix`); accept
or reject what it finds (`accept`); name people from folders of known faces (`known`) and
identify faces the way `face_recognition`'s command line does (`identify`)."""
